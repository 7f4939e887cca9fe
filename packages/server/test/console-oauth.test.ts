import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type TestGateway } from "./helpers.js";
import { freePort } from "./support/builtin-sign-in.js";

// The browser flow (sign-in page, PKCE, replayed code, another audience, a non-admin) is driven in Chromium by
// @waygate/console's console-oauth.test.ts; these are the callback's refusals a script can provoke directly.
const assetsDir = mkdtempSync(join(tmpdir(), "waygate-console-oauth-"));
let gw: TestGateway;

beforeAll(async () => {
  const port = await freePort();
  gw = await startGateway(
    {
      oauth: { builtin: {}, publicUrl: `http://127.0.0.1:${port}` },
      console: { assetsDir },
      authFailures: { windowMs: 60_000, limit: 5 },
    },
    { port },
  );
});
afterAll(async () => {
  await gw?.close();
});

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${gw.url}${path}`, { redirect: "manual", headers });

/** Starts a sign-in: the flow cookie and the state the issuer was sent. */
async function start() {
  const res = await get("/console/api/oauth/start");
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith("waygate_console_oauth="));
  const location = new URL(res.headers.get("location") ?? "");
  return {
    res,
    cookie,
    location,
    flow: cookie?.split(";")[0] ?? "",
    state: location.searchParams.get("state"),
  };
}

const refusalOf = (res: Response) =>
  new URL(res.headers.get("location") ?? "", gw.url).searchParams.get("signin_error");

describe("console OAuth sign-in routes", () => {
  it("GET /console/api/oauth names the issuer, the console's client id, its redirect URI and where to start", async () => {
    const res = await get("/console/api/oauth");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      issuer: `${gw.url}/oauth`,
      builtin: true,
      clientId: "waygate-console",
      redirectUri: `${gw.url}/console/api/oauth/callback`,
      start: "/console/api/oauth/start",
    });
  });

  it("GET /console/api/oauth/start sends the browser to the issuer with PKCE S256 and a sealed, HttpOnly flow cookie", async () => {
    const { res, cookie, location, state } = await start();
    expect(res.status).toBe(302);
    expect(`${location.origin}${location.pathname}`).toBe(`${gw.url}/oauth/auth`);
    expect(Object.fromEntries(location.searchParams)).toMatchObject({
      response_type: "code",
      client_id: "waygate-console",
      redirect_uri: `${gw.url}/console/api/oauth/callback`,
      code_challenge_method: "S256",
      resource: `${gw.url}/`,
    });
    expect(state).toMatch(/^[\w-]{43}$/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\/console\/api\/oauth/);
    expect(cookie).toMatch(/Max-Age=600/);
    // Neither the state nor anything readable is in the cookie: it is encrypted (JWE, five parts).
    expect(cookie).not.toContain(state ?? "-");
    expect(cookie?.split(";")[0]?.split("=")[1]?.split(".")).toHaveLength(5);
  });

  it("refuses a callback without a sign-in in progress, or with a forged flow cookie, and clears the cookie", async () => {
    const none = await get("/console/api/oauth/callback?code=x&state=y");
    expect(none.status).toBe(303);
    expect(refusalOf(none)).toBe("no_sign_in");
    expect(none.headers.getSetCookie().join()).toMatch(/waygate_console_oauth=;.*Max-Age=0/);
    const forged = await get("/console/api/oauth/callback?code=x&state=y", {
      cookie: "waygate_console_oauth=eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..a.b.c",
    });
    expect(refusalOf(forged)).toBe("no_sign_in");
  });

  it("refuses a wrong state, an answer naming another issuer, and reports the issuer's own refusal", async () => {
    const wrongState = await start();
    const a = await get("/console/api/oauth/callback?code=x&state=not-the-state", {
      cookie: wrongState.flow,
    });
    expect(refusalOf(a)).toBe("state_mismatch");

    const mixUp = await start();
    const b = await get(
      `/console/api/oauth/callback?code=x&state=${mixUp.state}&iss=${encodeURIComponent("https://evil.example/oauth")}`,
      { cookie: mixUp.flow },
    );
    expect(refusalOf(b)).toBe("wrong_issuer");

    const denied = await start();
    const c = await get(
      `/console/api/oauth/callback?error=access_denied&state=${denied.state}&iss=${encodeURIComponent(`${gw.url}/oauth`)}`,
      { cookie: denied.flow },
    );
    expect(refusalOf(c)).toBe("issuer_refused");

    const madeUp = await start();
    const d = await get(`/console/api/oauth/callback?code=made-up&state=${madeUp.state}`, {
      cookie: madeUp.flow,
    });
    expect(refusalOf(d)).toBe("code_refused");
    expect(d.headers.getSetCookie().join()).not.toContain("waygate_console=");

    const events = await gw.repos.systemEvents.list({ type: "console.sign_in_refused" });
    expect(events.items.map((e) => (e.details as { reason: string }).reason)).toEqual(
      expect.arrayContaining(["state_mismatch", "wrong_issuer", "issuer_refused", "code_refused"]),
    );
  });

  it("counts failed callbacks against the address's limit and then refuses with rate_limited", async () => {
    // The earlier tests spent the budget of 5 (no_sign_in ×2, state_mismatch, wrong_issuer, code_refused).
    const flow = await start();
    const limited = await get(`/console/api/oauth/callback?code=x&state=${flow.state}`, {
      cookie: flow.flow,
    });
    expect(refusalOf(limited)).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

describe("console OAuth with an external issuer", () => {
  it("is off without console.oauthClientId, and GET /console/api/oauth says how to turn it on", async () => {
    const external = await startGateway({
      oauth: { issuer: "http://127.0.0.1:9/realms/ops", publicUrl: "http://127.0.0.1:8443" },
      console: { assetsDir },
    });
    try {
      const res = await fetch(`${external.url}/console/api/oauth`);
      expect(res.status).toBe(404);
      const body = (await res.json()) as { error: { message: string } };
      expect(body.error.message).toContain("console.oauthClientId");
      expect(body.error.message).toContain("http://127.0.0.1:8443/console/api/oauth/callback");
      expect((await fetch(`${external.url}/console/api/oauth/start`, { redirect: "manual" })).status).toBe(
        404,
      );
    } finally {
      await external.close();
    }
  });
});
