import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ConsoleGateway, launchChromium, OUTPUT_DIR, startConsoleGateway, WIDTHS } from "./support.js";

// The built-in authorization server (its sign-in page takes an API key) is the issuer: the gateway's own URL.
let t: ConsoleGateway;
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
  t = await startConsoleGateway({ oauth: true });
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(OUTPUT_DIR, `${name}.png`), fullPage: true });

async function fresh(width = 1280) {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  // Every URL the browser is sent to, to read what the issuer and the gateway passed along.
  const visited: URL[] = [];
  page.on("request", (request) => {
    if (request.isNavigationRequest()) visited.push(new URL(request.url()));
  });
  return { context, page, violations, visited };
}

/**
 * From the console's sign-in page through the built-in server's sign-in page with `key`; stops back at the console.
 * `screenshot` names a picture of the issuer's page.
 */
async function signInWithOAuth(page: Page, key: string, screenshot?: string) {
  await page.goto(`${t.url}/console/`);
  await page.getByRole("link", { name: "Sign in with OAuth" }).click();
  await page.getByLabel("API key").waitFor();
  if (screenshot) {
    await shot(page, screenshot);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${screenshot} overflows`).toBeLessThanOrEqual(0);
  }
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Allow" }).click();
  await page.waitForURL((url) => url.pathname === "/console/");
}

const callbackOf = (visited: URL[]) =>
  visited.findLast((url) => url.pathname === "/console/api/oauth/callback");
const authorizeOf = (visited: URL[]) => visited.findLast((url) => url.pathname === "/oauth/auth");

/** The console's cookies the browser holds (the session, a sign-in in progress). */
const consoleCookies = async (context: BrowserContext) =>
  (await context.cookies(`${t.url}/console/api/oauth/callback`))
    .map((c) => c.name)
    .filter((name) => name.startsWith("waygate_"));

/** The console's message on its sign-in page. */
const signInMessage = (page: Page) => page.getByRole("alert").first().textContent();

describe("OAuth sign-in to the console (built-in authorization server)", () => {
  let context: BrowserContext;
  afterAll(async () => {
    await context?.close();
  });

  it("signs an admin in through the issuer (code + PKCE) into the same HttpOnly session cookie", async () => {
    const opened = await fresh();
    context = opened.context;
    const { page, violations, visited } = opened;
    await page.goto(`${t.url}/console/`);
    await page.getByRole("link", { name: "Sign in with OAuth" }).waitFor();
    await shot(page, "sign-in-oauth-1280");
    await page.getByRole("link", { name: "Sign in with OAuth" }).click();
    await page.getByLabel("API key").waitFor();
    // The issuer's page says what the console asks for: an operator's admin key, not token scopes.
    await page.getByText("Waygate console asks you to sign in as an operator.").waitFor();
    expect(await page.content()).not.toContain("waygate:tools:call");
    await shot(page, "oauth-issuer-sign-in-1280");

    const authorize = authorizeOf(visited);
    expect(authorize?.searchParams.get("client_id")).toBe("waygate-console");
    expect(authorize?.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorize?.searchParams.get("code_challenge")).toMatch(/^[\w-]{43}$/);
    expect(authorize?.searchParams.get("redirect_uri")).toBe(`${t.url}/console/api/oauth/callback`);
    expect(authorize?.searchParams.get("resource")).toBe(`${t.url}/`);
    // The verifier and state live in a sealed HttpOnly cookie, never in the page.
    const flow = (await context.cookies(`${t.url}/console/api/oauth/callback`)).find(
      (c) => c.name === "waygate_console_oauth",
    );
    expect(flow).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/console/api/oauth" });
    expect(flow?.value).not.toContain(authorize?.searchParams.get("state") ?? "-");

    await page.getByLabel("API key").fill(t.adminKey);
    await page.getByRole("button", { name: "Allow" }).click();
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    expect(new URL(page.url()).search).toBe("");
    // The issuer's own session cookies (`_session`) are its business; of the console's, only the session is left.
    const cookies = (await context.cookies(`${t.url}/console/api/oauth/callback`)).filter((c) =>
      c.name.startsWith("waygate_"),
    );
    expect(cookies.map((c) => c.name)).toEqual(["waygate_console"]);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });
    expect(await page.evaluate(() => document.cookie)).toBe("");
    // The session acts as the admin key entered on the issuer's page, CSRF token and all.
    const session = await page.evaluate(async () => (await fetch("/console/api/session")).json());
    expect(session.key.name).toBe("operator");
    await page.getByRole("link", { name: "Keys" }).click();
    await page.getByRole("heading", { name: "API keys" }).waitFor();
    const events = await t.repos.systemEvents.list({ type: "console.signed_in" });
    expect(events.items[0]?.message).toContain("OAuth");
    expect(violations).toEqual([]);
  });

  it("refuses a replayed code: the callback again, and the old code with a new sign-in's state", async () => {
    const { page, visited } = await fresh().then(async (opened) => {
      await signInWithOAuth(opened.page, t.adminKey);
      return opened;
    });
    const used = callbackOf(visited);
    expect(used?.searchParams.get("code")).toBeTruthy();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Admin API key").waitFor();

    // The same callback URL again: its flow cookie was spent with it.
    await page.goto(used!.href);
    await expect.poll(() => signInMessage(page)).toContain("not started in this browser");

    // A new sign-in's state with the spent code: the issuer refuses the code.
    await page.goto(`${t.url}/console/`);
    await page.getByRole("link", { name: "Sign in with OAuth" }).click();
    await page.getByLabel("API key").waitFor();
    const state = authorizeOf(visited)?.searchParams.get("state") ?? "";
    const replay = new URL(used!.href);
    replay.searchParams.set("state", state);
    await page.goto(replay.href);
    await expect.poll(() => signInMessage(page)).toContain("did not accept the authorization code");
    await page.getByLabel("Admin API key").waitFor();
    expect(await consoleCookies(page.context())).toEqual([]);
    const refused = await t.repos.systemEvents.list({ type: "console.sign_in_refused" });
    expect(refused.items.map((e) => (e.details as { reason: string }).reason)).toContain("code_refused");
    await page.context().close();
  });

  it("refuses an answer whose state is not this browser's sign-in", async () => {
    const { context, page } = await fresh();
    try {
      await page.goto(`${t.url}/console/`);
      await page.getByRole("link", { name: "Sign in with OAuth" }).click();
      await page.getByLabel("API key").waitFor();
      await page.goto(`${t.url}/console/api/oauth/callback?code=forged&state=someone-elses-state`);
      await expect.poll(() => signInMessage(page)).toContain("state mismatch");
      await shot(page, "sign-in-oauth-refused-1280");
      expect(await consoleCookies(context)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("refuses a token for another audience (a code obtained for one MCP server's resource)", async () => {
    const { context, page, visited } = await fresh();
    try {
      await page.goto(`${t.url}/console/`);
      await page.getByRole("link", { name: "Sign in with OAuth" }).click();
      await page.getByLabel("API key").waitFor();
      const narrowed = new URL(authorizeOf(visited)!.href);
      narrowed.searchParams.set("resource", `${t.url}/servers/local/mcp`);
      await page.goto(narrowed.href);
      await page.getByLabel("API key").fill(t.adminKey);
      await page.getByRole("button", { name: "Allow" }).click();
      await page.waitForURL((url) => url.pathname === "/console/");
      await expect.poll(() => signInMessage(page)).toContain("did not accept the access token");
      expect(await consoleCookies(context)).toEqual([]);
      const refused = await t.repos.systemEvents.list({ type: "console.sign_in_refused" });
      expect(refused.items[0]?.message).toContain("audience");
    } finally {
      await context.close();
    }
  });

  it("refuses a principal without admin with the documented message (no read-only console)", async () => {
    const { plaintext } = await t.repos.apiKeys.create({
      name: "reader",
      scopes: ["tools:list", "tools:call"],
    });
    for (const [width, label] of WIDTHS) {
      const { context, page } = await fresh(width);
      try {
        await signInWithOAuth(page, plaintext, `oauth-issuer-sign-in-${label}`);
        await expect.poll(() => signInMessage(page)).toContain("without the admin scope");
        await page.getByLabel("Admin API key").waitFor();
        await shot(page, `sign-in-oauth-not-admin-${label}`);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow).toBeLessThanOrEqual(0);
        expect(await consoleCookies(context)).toEqual([]);
        const status = await page.evaluate(async () => (await fetch("/console/api/session")).status);
        expect(status).toBe(401);
      } finally {
        await context.close();
      }
    }
  });
});
