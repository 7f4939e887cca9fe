import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSOLE_CSP } from "../src/console/console-assets.js";
import { startGateway, type TestGateway } from "./helpers.js";

const SESSION_SECRET = "console-session-secret-0123456789abcdef";
const assetsDir = mkdtempSync(join(tmpdir(), "waygate-console-assets-"));
mkdirSync(join(assetsDir, "assets"));
writeFileSync(
  join(assetsDir, "index.html"),
  '<!doctype html><script type="module" src="./assets/app.js"></script>',
);
writeFileSync(join(assetsDir, "assets", "app.js"), "console.log('console');");

let t: TestGateway;
let other: TestGateway;
let adminKey: string;

beforeAll(async () => {
  t = await startGateway({
    console: { assetsDir, sessionSecret: SESSION_SECRET },
    authFailures: { windowMs: 60_000, limit: 1000 },
  });
  other = await startGateway({ console: { assetsDir } });
  adminKey = await t.key(["admin"]);
});
afterAll(async () => {
  await t?.close();
  await other?.close();
  rmSync(assetsDir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field in each test.
const json = (res: Response): Promise<any> => res.json();

async function signIn(gateway: TestGateway, key: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${gateway.url}/console/api/session`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ key }),
  });
  const body = await json(res);
  const setCookie = res.headers.get("set-cookie") ?? "";
  return { res, body, setCookie, cookie: setCookie.split(";")[0] ?? "" };
}

describe("console sign-in", () => {
  it("exchanges an admin key for an HttpOnly, SameSite=Strict session cookie and a CSRF token", async () => {
    const { res, body, setCookie } = await signIn(t, adminKey);
    expect(res.status).toBe(201);
    expect(setCookie).toMatch(/^waygate_console=[\w-]+\.[\w-]+\.[\w-]+;/);
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Strict");
    expect(setCookie).toContain("Path=/");
    expect(setCookie).toContain("Expires=");
    expect(setCookie).not.toContain("Secure");
    expect(body.csrfToken).toMatch(/^[\w-]{32}$/);
    expect(new Date(body.expiresAt).getTime() - Date.now()).toBeLessThanOrEqual(3_600_000);
    expect(JSON.stringify(body)).not.toContain(adminKey);
  });

  it("marks the cookie Secure behind TLS (a proxy's X-Forwarded-Proto: https)", async () => {
    const { setCookie } = await signIn(t, adminKey, { "x-forwarded-proto": "https" });
    expect(setCookie).toContain("Secure");
  });

  it("refuses a wrong, revoked or non-admin key with a message saying what to do", async () => {
    const wrong = await signIn(t, "wg_not_a_real_key_at_all_000000000000");
    expect(wrong.res.status).toBe(401);
    expect(wrong.body.error.message).toMatch(/not a Waygate API key|not recognised/);
    expect(wrong.setCookie).toBe("");
    const revokedKey = await t.repos.apiKeys.create({ name: "gone", scopes: ["admin"] });
    await t.repos.apiKeys.revoke(revokedKey.key.id);
    const revoked = await signIn(t, revokedKey.plaintext);
    expect(revoked.res.status).toBe(401);
    expect(revoked.body.error.message).toBe("This API key has been revoked: sign in with another admin key");
    const reader = await signIn(t, await t.key(["tools:list"]));
    expect(reader.res.status).toBe(403);
    expect(reader.body.error.message).toContain(
      "This key lacks the 'admin' scope: the console needs an admin key",
    );
    const empty = await signIn(t, "  ");
    expect(empty.res.status).toBe(400);
    expect(empty.body.error.message).toContain("paste an API key with the admin scope");
  });

  it("limits failed sign-ins per client address with 429 and Retry-After", async () => {
    const limited = await startGateway({
      console: { assetsDir },
      authFailures: { windowMs: 60_000, limit: 2 },
    });
    try {
      const key = await limited.key(["admin"]);
      expect((await signIn(limited, "wg_wrong_1")).res.status).toBe(401);
      expect((await signIn(limited, "wg_wrong_2")).res.status).toBe(401);
      const third = await signIn(limited, key);
      expect(third.res.status).toBe(429);
      expect(third.res.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(third.body.error.message).toContain("Too many failed sign-ins from this address");
    } finally {
      await limited.close();
    }
  });
});

describe("console session on the admin API", () => {
  it("authenticates reads by the cookie and state changes only with the CSRF token (403 without or wrong)", async () => {
    const { cookie, body } = await signIn(t, adminKey);
    const keys = await fetch(`${t.url}/admin/keys`, { headers: { cookie } });
    expect(keys.status).toBe(200);
    const create = (headers: Record<string, string>) =>
      fetch(`${t.url}/admin/keys`, {
        method: "POST",
        headers: { "content-type": "application/json", cookie, ...headers },
        body: JSON.stringify({ name: "from-console", scopes: ["tools:call"] }),
      });
    const missing = await create({});
    expect(missing.status).toBe(403);
    expect((await json(missing)).error.message).toContain("Missing or wrong CSRF token");
    const wrong = await create({ "x-csrf-token": "x".repeat(32) });
    expect(wrong.status).toBe(403);
    const right = await create({ "x-csrf-token": body.csrfToken });
    expect(right.status).toBe(201);
  });

  it("answers GET /console/api/session with the signed-in key and CSRF token, and 401 without a cookie", async () => {
    const { cookie, body } = await signIn(t, adminKey);
    const res = await fetch(`${t.url}/console/api/session`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await json(res)).toMatchObject({ csrfToken: body.csrfToken, key: { name: "test-admin" } });
    const anonymous = await fetch(`${t.url}/console/api/session`);
    expect(anonymous.status).toBe(401);
    expect((await json(anonymous)).error.message).toContain("Not signed in");
  });

  it("refuses a cookie from another gateway instance (another secret), sending the user back to sign-in", async () => {
    const { cookie } = await signIn(other, await other.key(["admin"]));
    const res = await fetch(`${t.url}/admin/keys`, { headers: { cookie } });
    expect(res.status).toBe(401);
    expect((await json(res)).error.message).toBe(
      "This console session was not issued by this gateway: sign in again",
    );
  });

  it("refuses an expired cookie with 401 asking to sign in again", async () => {
    const { key } = await t.repos.apiKeys.create({ name: "expired-session", scopes: ["admin"] });
    const token = await new SignJWT({ csrf: "c".repeat(32) })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(key.id)
      .setJti("old-session")
      .setAudience("waygate-console")
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(new TextEncoder().encode(SESSION_SECRET));
    const res = await fetch(`${t.url}/admin/keys`, { headers: { cookie: `waygate_console=${token}` } });
    expect(res.status).toBe(401);
    expect((await json(res)).error.message).toBe("Your console session has expired: sign in again");
  });

  it("ends the session when its key is revoked", async () => {
    const created = await t.repos.apiKeys.create({ name: "short-lived-admin", scopes: ["admin"] });
    const { cookie } = await signIn(t, created.plaintext);
    expect((await fetch(`${t.url}/admin/keys`, { headers: { cookie } })).status).toBe(200);
    await t.repos.apiKeys.revoke(created.key.id);
    const res = await fetch(`${t.url}/admin/keys`, { headers: { cookie } });
    expect(res.status).toBe(401);
    expect((await json(res)).error.message).toContain("was revoked");
  });

  it("signs out with the CSRF token: the cookie is cleared and refused afterwards", async () => {
    const { cookie, body } = await signIn(t, adminKey);
    const noToken = await fetch(`${t.url}/console/api/session`, { method: "DELETE", headers: { cookie } });
    expect(noToken.status).toBe(403);
    const out = await fetch(`${t.url}/console/api/session`, {
      method: "DELETE",
      headers: { cookie, "x-csrf-token": body.csrfToken },
    });
    expect(out.status).toBe(200);
    expect(out.headers.get("set-cookie")).toMatch(/^waygate_console=; .*Expires=Thu, 01 Jan 1970/);
    const after = await fetch(`${t.url}/admin/keys`, { headers: { cookie } });
    expect(after.status).toBe(401);
    expect((await json(after)).error.message).toBe("You have signed out: sign in again");
    const events = await t.repos.systemEvents.list({ type: "console.signed_out" });
    expect(events.items[0]?.message).toBe("console sign-out of key test-admin");
    expect((await t.repos.systemEvents.list({ type: "console.signed_in" })).items.length).toBeGreaterThan(0);
  });

  it("never lets the cookie authenticate an MCP endpoint", async () => {
    const { cookie } = await signIn(t, adminKey);
    const res = await fetch(`${t.url}/mcp`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(res.status).toBe(401);
  });
});

describe("console assets", () => {
  it("serves the console with a strict CSP: no inline script, no other origin, never framed", async () => {
    const res = await fetch(`${t.url}/console/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("./assets/app.js");
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toBe(CONSOLE_CSP);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    const asset = await fetch(`${t.url}/console/assets/app.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-security-policy")).toBe(CONSOLE_CSP);
    expect(asset.headers.get("cache-control")).toContain("immutable");
  });

  it("redirects /console to /console/ and answers a missing asset with 404", async () => {
    const res = await fetch(`${t.url}/console`, { redirect: "manual" });
    expect(res.status).toBe(301);
    expect(res.headers.get("location")).toBe("/console/");
    expect((await fetch(`${t.url}/console/assets/nope.js`)).status).toBe(404);
  });

  it("serves no console when the option is left out", async () => {
    const plain = await startGateway();
    try {
      expect((await fetch(`${plain.url}/console/`)).status).toBe(404);
      expect((await fetch(`${plain.url}/console/api/session`, { method: "POST" })).status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});
