import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type TestGateway } from "./helpers.js";
import { freePort } from "./support/builtin-sign-in.js";
import { authorize, startProvider, TEST_USER, type TestProvider } from "./support/oidc-provider.js";

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

describe("console OAuth with an external issuer (a real oidc-provider on loopback)", () => {
  let provider: TestProvider;
  let ext: TestGateway;
  let redirectUri: string;

  beforeAll(async () => {
    provider = await startProvider();
    const port = await freePort();
    redirectUri = `http://127.0.0.1:${port}/console/api/oauth/callback`;
    // The operator registers the console at the issuer as a public client with the gateway's callback.
    const registered = await fetch(`${provider.issuer}/reg`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        redirect_uris: [redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "none",
      }),
    });
    const { client_id } = (await registered.json()) as { client_id: string };
    ext = await startGateway(
      {
        oauth: {
          issuer: provider.issuer,
          publicUrl: `http://127.0.0.1:${port}`,
          claims: [{ claim: "groups", value: "gateway-ops", scopes: ["admin"] }],
        },
        console: { assetsDir, oauthClientId: client_id },
      },
      { port },
    );
  });
  afterAll(async () => {
    await ext?.close();
    await provider?.close();
  });

  /** Start, the issuer's (scripted) sign-in, and the callback: the callback's answer. */
  async function signInThroughIssuer() {
    const started = await fetch(`${ext.url}/console/api/oauth/start`, { redirect: "manual" });
    const flow = started.headers.getSetCookie()[0]?.split(";")[0] ?? "";
    const authorizeUrl = new URL(started.headers.get("location") ?? "");
    expect(authorizeUrl.origin).toBe(provider.issuer);
    const code = await authorize(authorizeUrl, redirectUri);
    return fetch(
      `${redirectUri}?code=${encodeURIComponent(code)}&state=${authorizeUrl.searchParams.get("state")}`,
      { redirect: "manual", headers: { cookie: flow } },
    );
  }

  it("signs in a principal whose token grants admin by claim; the session acts with that policy and ends with the token", async () => {
    provider.extraClaims.groups = ["gateway-ops"];
    const callback = await signInThroughIssuer();
    expect(callback.status).toBe(303);
    expect(callback.headers.get("location")).toBe("/console/");
    const session = callback.headers.getSetCookie().find((c) => c.startsWith("waygate_console="));
    expect(session).toMatch(/HttpOnly/i);
    expect(session).toMatch(/SameSite=Strict/i);
    // The provider's access tokens live 300 s: the session may not outlive it, though sessionTtlMs is an hour.
    const expires = Date.parse(/Expires=([^;]+)/.exec(session ?? "")?.[1] ?? "");
    expect(expires - Date.now()).toBeLessThanOrEqual(300_000);
    expect(expires - Date.now()).toBeGreaterThan(0);

    const cookie = session?.split(";")[0] ?? "";
    const who = await fetch(`${ext.url}/console/api/session`, { headers: { cookie } });
    const body = (await who.json()) as { key: { id: string; name: string }; csrfToken: string };
    expect(body.key.id.startsWith(`oauth:${TEST_USER}@`)).toBe(true);
    expect(body.key.name).toContain(TEST_USER);
    const keys = await fetch(`${ext.url}/admin/keys`, { headers: { cookie } });
    expect(keys.status).toBe(200);
    const created = await fetch(`${ext.url}/admin/keys`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json", "x-csrf-token": body.csrfToken },
      body: JSON.stringify({ name: "made-by-oauth-operator", scopes: ["tools:list"] }),
    });
    expect(created.status).toBe(201);
    const forged = await fetch(`${ext.url}/admin/keys`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json" },
      body: JSON.stringify({ name: "without-csrf", scopes: ["tools:list"] }),
    });
    expect(forged.status).toBe(403);
    // The audit and events name the principal, not a key.
    const signedIn = await ext.repos.systemEvents.list({ type: "console.signed_in" });
    expect(signedIn.items[0]?.message).toBe(`console sign-in through OAuth of ${body.key.name}`);
  });

  it("refuses a principal whose token does not grant admin", async () => {
    provider.extraClaims.groups = ["developers"];
    const callback = await signInThroughIssuer();
    expect(new URL(callback.headers.get("location") ?? "", ext.url).searchParams.get("signin_error")).toBe(
      "not_admin",
    );
    expect(callback.headers.getSetCookie().join()).not.toContain("waygate_console=");
  });
});
