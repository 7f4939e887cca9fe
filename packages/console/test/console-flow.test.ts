import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ConsoleGateway,
  launchChromium,
  OUTPUT_DIR,
  startConsoleGateway,
  startHttpFixture,
  WIDTHS,
} from "./support.js";

let t: ConsoleGateway;
let browser: Browser;
let fixture: { url: string; child: ChildProcess };

beforeAll(async () => {
  browser = await launchChromium();
  fixture = await startHttpFixture();
  t = await startConsoleGateway();
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
  fixture?.child.kill();
});

/** A fresh browser profile at a width; records CSP violations reported on the page's console. */
async function openConsole(width: number, height = 900) {
  const context = await browser.newContext({ viewport: { width, height }, acceptDownloads: true });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: t.url });
  const page = await context.newPage();
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  return { context, page, violations };
}

async function signIn(page: Page, key: string) {
  await page.goto(`${t.url}/console/`);
  await page.getByLabel("Admin API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function mcpClient(key: string): Promise<Client> {
  const client = new Client({ name: "console-e2e", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
    }),
  );
  return client;
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(OUTPUT_DIR, `${name}.png`), fullPage: true });

describe("the operator's flow", () => {
  let context: BrowserContext;
  afterAll(async () => {
    await context?.close();
  });

  it("signs in, adds a server, makes and revokes a key, finds the refused call, exports it and signs out", async () => {
    const opened = await openConsole(1280);
    context = opened.context;
    const { page, violations } = opened;
    page.on("dialog", (dialog) => void dialog.accept());

    // 1. Sign in: a wrong key first gets a message, then the admin key.
    await signIn(page, "wg_this_is_not_a_key");
    await expect
      .poll(() => page.getByRole("alert").textContent())
      .toMatch(/not a Waygate API key|not recognised/);
    await shot(page, "sign-in-refused-1280");
    await page.getByLabel("Admin API key").fill(t.adminKey);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    await page.getByRole("figure").first().waitFor();

    // 2. Add the remote server and see its tools.
    await page.getByRole("link", { name: "Servers" }).click();
    await page.getByRole("heading", { name: "Servers" }).waitFor();
    await page.getByText("Add a remote server").click();
    await page.getByLabel("Name").fill("remote");
    await page.getByLabel("URL").fill(fixture.url);
    await page.getByRole("button", { name: "Add server" }).click();
    await page.getByRole("status").filter({ hasText: "Added remote" }).waitFor();
    const remoteTools = page.getByRole("table", { name: "Tools of remote" });
    await remoteTools.getByText("remote__echo").waitFor();
    await page.getByRole("table", { name: "Prompts of remote" }).getByText("remote__greet").waitFor();

    // 3. Create a key, copy it once.
    await page.getByRole("link", { name: "Keys" }).click();
    await page.getByText("Create a key").click();
    await page.getByLabel("Name").fill("e2e-caller");
    await page.getByRole("button", { name: "Create key" }).click();
    const revealed = page.getByLabel("New API key");
    await revealed.waitFor();
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute("aria-label")))
      .toBe("New API key");
    const plaintext = await revealed.inputValue();
    expect(plaintext).toMatch(/^wg_/);
    await page.getByRole("button", { name: "Copy" }).click();
    await page.getByText("Copied to the clipboard.").waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(plaintext);
    await page.getByRole("button", { name: "Done" }).click();
    expect(await page.getByLabel("New API key").count()).toBe(0);
    expect(await page.content()).not.toContain(plaintext);

    // 4. Call a tool with it through the official SDK client.
    const client = await mcpClient(plaintext);
    const result = await client.callTool({
      name: "remote__echo",
      arguments: { text: "through the console's key" },
    });
    expect((result.content as { text: string }[])[0]?.text).toBe("through the console's key");

    // 5. Revoke it in the console; the next call is refused.
    await page.reload();
    await page.getByRole("button", { name: "Revoke e2e-caller" }).click();
    await page.locator("tr", { hasText: "e2e-caller" }).getByText("revoked").waitFor();
    await expect(
      client.callTool({ name: "remote__echo", arguments: { text: "after revocation" } }),
    ).rejects.toThrow(/401|revoked/i);
    await client.close().catch(() => {});

    // 6. Filter the audit log to that refused call and open it.
    await page.getByRole("link", { name: "Audit log" }).click();
    const filters = page.getByRole("form", { name: "Audit filters" });
    await filters.getByLabel("Key").selectOption({ label: "e2e-caller" });
    await filters.getByLabel("Outcome").selectOption("denied");
    await filters.getByRole("button", { name: "Apply filters" }).click();
    const rows = page.getByRole("table", { name: /Audit rows/ }).locator("tbody tr");
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain("denied");
    await rows
      .first()
      .getByRole("button", { name: /Details of row/ })
      .click();
    const detail = page.getByRole("region", { name: /Audit row/ });
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute("aria-label")))
      .toMatch(/^Audit row/);
    await detail.getByText(/authentication failed \(revoked\)/).waitFor();
    expect(await detail.textContent()).toContain("tools/call");
    expect(await detail.textContent()).toContain("after revocation");
    await shot(page, "audit-detail-1280");

    // 7. Export the filter.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Export CSV" }).click(),
    ]);
    const csv = readFileSync((await download.path())!, "utf8")
      .trim()
      .split("\r\n");
    expect(csv[0]).toBe(
      "id,at,requestId,method,keyId,server,tool,transport,outcome,durationMs,error,arguments",
    );
    expect(csv).toHaveLength(2);
    expect(csv[1]).toContain(",denied,");
    expect(csv[1]).not.toContain(plaintext);

    // A custom window that holds no calls (from tomorrow on) empties the list.
    const tomorrow = new Date(Date.now() + 86_400_000);
    const local = new Date(tomorrow.getTime() - tomorrow.getTimezoneOffset() * 60_000)
      .toISOString()
      .slice(0, 16);
    await filters.getByLabel("From (instead of Time)").fill(local);
    await filters.getByRole("button", { name: "Apply filters" }).click();
    await page.getByText("No rows match these filters.").waitFor();
    expect(await rows.count()).toBe(0);

    // 8. Sign out: back to sign-in, and a reload stays there.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByText("You have signed out.").waitFor();
    await page.reload();
    await page.getByLabel("Admin API key").waitFor();
    expect(violations).toEqual([]);
  });
});

describe("definition pins", () => {
  it("lists a tool an upstream added at run time as awaiting review, and approves it from the servers page", async () => {
    const { context, page } = await openConsole(1280);
    try {
      const client = await mcpClient(t.adminKey);
      await client.callTool({ name: "local__add_tool", arguments: { name: "late_tool" } });
      await signIn(page, t.adminKey);
      await page.getByRole("link", { name: "Servers" }).click();
      const pins = page.getByRole("table", { name: /Pins awaiting review/ });
      // The gateway re-lists the upstream after its list_changed notification; reload until the pin shows.
      await expect
        .poll(async () => {
          await page.reload();
          await page.getByRole("heading", { name: "Servers" }).waitFor();
          return pins.getByText("late_tool").count();
        })
        .toBe(1);
      await shot(page, "servers-pins-1280");
      await pins.getByRole("button", { name: "Approve tool late_tool" }).click();
      await page.getByRole("status").filter({ hasText: "Approved tool late_tool of local" }).waitFor();
      await expect.poll(() => pins.count()).toBe(0);
      const approved = await t.repos.definitionPins.list({ server: "local", status: "approved" });
      expect(approved.some((pin) => pin.name === "late_tool")).toBe(true);
      await client.close();
    } finally {
      await context.close();
    }
  });
});

describe("screenshots", () => {
  for (const [width, label] of WIDTHS) {
    it(`captures every page at ${label} px without horizontal page overflow`, async () => {
      const { context, page, violations } = await openConsole(width, 844);
      try {
        await page.goto(`${t.url}/console/`);
        await page.getByLabel("Admin API key").waitFor();
        await shot(page, `sign-in-${label}`);
        await signIn(page, t.adminKey);
        await page.getByRole("heading", { name: "Overview" }).waitFor();
        for (const name of ["overview", "servers", "keys", "audit", "events"]) {
          await page.goto(`${t.url}/console/#/${name}`);
          await page.getByRole("main").locator("h1").waitFor();
          await page.waitForLoadState("networkidle");
          await shot(page, `${name}-${label}`);
          const overflow = await page.evaluate(
            () => document.documentElement.scrollWidth - window.innerWidth,
          );
          expect(overflow, `${name} overflows at ${label} px`).toBeLessThanOrEqual(0);
          if (name === "keys") {
            // The action of each row is in reach without scrolling the table sideways.
            const box = await page
              .getByRole("button", { name: /^Revoke / })
              .first()
              .boundingBox();
            expect((box?.x ?? width) + (box?.width ?? 0)).toBeLessThanOrEqual(width);
          }
        }
        expect(violations).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }
});
