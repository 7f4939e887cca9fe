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

async function signedIn() {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${t.url}/console/`);
  await page.getByLabel("Admin API key").fill(t.adminKey);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  return { context, page };
}

describe("session cookie in the browser", () => {
  it("is HttpOnly, SameSite=Strict, host-only, short-lived and not readable from script", async () => {
    const { context, page } = await signedIn();
    try {
      const [cookie, ...others] = await context.cookies(t.url);
      expect(others).toEqual([]);
      expect(cookie).toMatchObject({
        name: "waygate_console",
        httpOnly: true,
        sameSite: "Strict",
        path: "/",
      });
      expect(cookie?.domain).toBe("127.0.0.1");
      // Plain http on loopback: not Secure (a TLS request or X-Forwarded-Proto: https makes it Secure).
      expect(cookie?.secure).toBe(false);
      const lifetime = (cookie?.expires ?? 0) * 1000 - Date.now();
      expect(lifetime).toBeGreaterThan(0);
      expect(lifetime).toBeLessThanOrEqual(3_600_000);
      expect(await page.evaluate(() => document.cookie)).toBe("");
    } finally {
      await context.close();
    }
  });

  it("sends the user back to sign-in with the reason when the cookie is not this gateway's", async () => {
    const context = await browser.newContext();
    try {
      await context.addCookies([
        {
          name: "waygate_console",
          value: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmVkLWJ5LXNvbWVvbmUtZWxzZQ",
          url: t.url,
          httpOnly: true,
          sameSite: "Strict",
        },
      ]);
      const page = await context.newPage();
      await page.goto(`${t.url}/console/#/audit`);
      await page.getByText("This console session was not issued by this gateway: sign in again").waitFor();
      await page.getByLabel("Admin API key").waitFor();
    } finally {
      await context.close();
    }
  });
});

describe("CSRF in the browser", () => {
  it("refuses a state change from the page without the CSRF token (403) and accepts it with the token", async () => {
    const { context, page } = await signedIn();
    try {
      const attempt = (token: string | null) =>
        page.evaluate(async (csrf) => {
          const headers: Record<string, string> = { "content-type": "application/json" };
          if (csrf !== null) headers["x-csrf-token"] = csrf;
          const response = await fetch("/admin/keys", {
            method: "POST",
            headers,
            body: JSON.stringify({ name: "csrf-probe", scopes: ["tools:list"] }),
          });
          return { status: response.status, body: await response.json() };
        }, token);
      const missing = await attempt(null);
      expect(missing.status).toBe(403);
      expect(missing.body.error.message).toContain("Missing or wrong CSRF token");
      expect((await attempt("forged-token")).status).toBe(403);
      const token = await page.evaluate(
        async () => (await (await fetch("/console/api/session")).json()).csrfToken,
      );
      expect((await attempt(token)).status).toBe(201);
    } finally {
      await context.close();
    }
  });
});

describe("Content-Security-Policy", () => {
  it("serves the console with a CSP that allows only its own origin and no inline code", async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const response = await page.goto(`${t.url}/console/`);
      const csp = response?.headers()["content-security-policy"] ?? "";
      const directives = Object.fromEntries(
        csp.split(";").map((d) => {
          const [name, ...values] = d.trim().split(/\s+/);
          return [name, values];
        }),
      );
      expect(directives["default-src"]).toEqual(["'none'"]);
      expect(directives["script-src"]).toEqual(["'self'"]);
      expect(directives["style-src"]).toEqual(["'self'"]);
      expect(directives["connect-src"]).toEqual(["'self'"]);
      expect(directives["frame-ancestors"]).toEqual(["'none'"]);
      expect(csp).not.toMatch(/unsafe-|https?:|\*/);
      // The built page itself has no inline script or style that the policy would block.
      const html = await response?.text();
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html).not.toMatch(/<style|style="/);
    } finally {
      await context.close();
    }
  });

  it("blocks an injected inline script (the policy is enforced, not just sent)", async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const violations: string[] = [];
      page.on("console", (m) => {
        if (/Content Security Policy/.test(m.text())) violations.push(m.text());
      });
      await page.goto(`${t.url}/console/`);
      const ran = await page.evaluate(() => {
        const script = document.createElement("script");
        script.textContent = "window.__injected = true";
        document.body.append(script);
        return (window as unknown as { __injected?: boolean }).__injected === true;
      });
      expect(ran).toBe(false);
      await expect.poll(() => violations.length).toBeGreaterThan(0);
    } finally {
      await context.close();
    }
  });
});
