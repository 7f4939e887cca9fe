import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ConsoleGateway, launchChromium, startConsoleGateway } from "./support.js";

let t: ConsoleGateway;
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
  t = await startConsoleGateway();
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe("labels and keyboard use", () => {
  it("signs in and moves between pages with the keyboard alone; every control on every page has a label", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      await page.goto(`${t.url}/console/`);
      await page.getByLabel("Admin API key").waitFor();
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => document.activeElement?.getAttribute("name"))).toBe("key");
      await page.keyboard.type(t.adminKey);
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { name: "Overview" }).waitFor();

      const unlabelled = () =>
        page.evaluate(() =>
          [...document.querySelectorAll("input, select, button, textarea")]
            .filter((element) => {
              const control = element as HTMLInputElement;
              const named =
                (control.labels?.length ?? 0) > 0 ||
                control.getAttribute("aria-label") ||
                (element.tagName === "BUTTON" && element.textContent?.trim());
              return !named;
            })
            .map((element) => element.outerHTML.slice(0, 80)),
        );
      for (const name of ["Servers", "Keys", "Audit log", "Events", "Overview"]) {
        // Tab from the top of the page to the page's link, then follow it with Enter.
        await page.locator("body").focus();
        let guard = 0;
        while ((await page.evaluate(() => document.activeElement?.textContent)) !== name) {
          await page.keyboard.press("Tab");
          if (++guard > 20) throw new Error(`the link ${name} is not reachable with Tab`);
        }
        await page.keyboard.press("Enter");
        await page
          .getByRole("heading", { level: 1 })
          .filter({ hasText: name === "Keys" ? "API keys" : name === "Events" ? "System events" : name })
          .waitFor();
        await page.waitForLoadState("networkidle");
        expect(await unlabelled(), `unlabelled controls on ${name}`).toEqual([]);
      }
    } finally {
      await context.close();
    }
  });
});
