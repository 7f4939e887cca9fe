import { request } from "node:http";
import { definePlugin, tool } from "@waygate/plugin-sdk";
import { type CryptoKey, exportSPKI, generateKeyPair, importJWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deriveSigningKey } from "../src/auth/builtin/signing-keys.js";
import { OAuthOptionsSchema } from "../src/auth/oauth-options.js";
import { createGateway } from "../src/gateway.js";
import { createLogger } from "../src/logger.js";
import {
  connectClient,
  get,
  localPlugin,
  post,
  SECRET_KEY,
  startGateway,
  type TestGateway,
} from "./helpers.js";
import {
  authorizationUrl,
  documentServer,
  freePort,
  obtainTokens,
  openSignIn,
  REDIRECT,
  registerClient,
  submitSignIn,
  tokenRequest,
} from "./support/builtin-sign-in.js";

const MCP_HEADERS = { accept: "application/json, text/event-stream" };
const CALL_COUNTER = {
  jsonrpc: "2.0",
  id: 2,
  method: "tools/call",
  params: { name: "counter__hit", arguments: {} },
};

let gw: TestGateway;
let base: string;
const counter = { hits: 0 };

function counterPlugin() {
  return definePlugin({
    name: "counter",
    version: "1.0.0",
    tools: {
      hit: tool({
        description: "Counts a call",
        input: {},
        handler: () => {
          counter.hits += 1;
          return `hit ${counter.hits}`;
        },
      }),
    },
  });
}

const options = (publicUrl: string) => ({
  plugins: [localPlugin(), counterPlugin()],
  oauth: { builtin: {}, publicUrl },
});

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  gw = await startGateway(options(base), { port });
});

afterAll(async () => {
  await gw?.close();
});

const bearer = (token: string) => ({ ...MCP_HEADERS, authorization: `Bearer ${token}` });
const callCounter = (token: string, path = "/mcp") => post(`${base}${path}`, CALL_COUNTER, bearer(token));

/** Calls a tool through the official client with an access token; the result's text, or the error thrown. */
async function callTool(
  url: string,
  token: string,
  name = "counter__hit",
  args: Record<string, unknown> = {},
) {
  const client = await connectClient(url, token);
  try {
    const result = await client.callTool({ name, arguments: args });
    return { isError: result.isError === true, text: JSON.stringify(result.content) };
  } finally {
    await client.close();
  }
}

/** Retries `check` until it passes: revocations reach a replica's caches within about a second. */
async function eventually(check: () => Promise<void>, attempts = 40): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await check();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function keyIdOf(plaintext: string): Promise<string> {
  const key = (await gw.repos.apiKeys.list()).find((record) => plaintext.startsWith(record.prefix));
  if (!key) throw new Error("no such key");
  return key.id;
}

describe("configuration", () => {
  const publicUrl = "https://gw.example.test";
  it("fills in the built-in issuer at <publicUrl>/oauth, and accepts its own output again", () => {
    const parsed = OAuthOptionsSchema.parse({ builtin: {}, publicUrl });
    expect(parsed.issuer).toBe(`${publicUrl}/oauth`);
    expect(parsed.builtin).toMatchObject({ accessTokenTtlSeconds: 900, dynamicRegistration: true });
    expect(OAuthOptionsSchema.parse(parsed).issuer).toBe(`${publicUrl}/oauth`);
  });

  it.each([
    [{ publicUrl }, "give oauth.issuer (an external authorization server) or oauth.builtin"],
    [
      { publicUrl, builtin: {}, issuer: "https://idp.example" },
      "oauth.issuer and oauth.builtin exclude each other",
    ],
    [{ publicUrl, builtin: {}, jwksUri: "https://idp.example/jwks" }, "are for an external issuer"],
    [{ publicUrl, builtin: { accessTokenTtlSeconds: 5 } }, "Too small"],
  ])("refuses %j", (input, message) => {
    const result = OAuthOptionsSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.message).join("; ")).toContain(message);
  });
});

describe("metadata where MCP clients look", () => {
  it("names the built-in server in the protected resource metadata", async () => {
    const res = await get(`${base}/.well-known/oauth-protected-resource/mcp`);
    expect(res.body).toMatchObject({ resource: `${base}/mcp`, authorization_servers: [`${base}/oauth`] });
  });

  it.each([
    "/.well-known/oauth-authorization-server/oauth",
    "/.well-known/openid-configuration/oauth",
    "/oauth/.well-known/openid-configuration",
    "/.well-known/oauth-authorization-server",
  ])("serves the authorization server metadata (RFC 8414) at %s", async (path) => {
    const res = await get(`${base}${path}`, {
      "x-forwarded-host": "evil.example",
      "x-forwarded-proto": "https",
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      issuer: `${base}/oauth`,
      authorization_endpoint: `${base}/oauth/auth`,
      token_endpoint: `${base}/oauth/token`,
      registration_endpoint: `${base}/oauth/reg`,
      revocation_endpoint: `${base}/oauth/token/revocation`,
      code_challenge_methods_supported: ["S256"],
      response_types_supported: ["code"],
    });
    expect(res.body.grant_types_supported).toEqual(
      expect.arrayContaining(["authorization_code", "refresh_token"]),
    );
  });

  it("refuses a Host that is not the gateway's", async () => {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(`${base}/.well-known/oauth-authorization-server/oauth`, {
        headers: { host: "rebound.example" },
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(403);
  });
});

describe("the sign-in page", () => {
  it("is a form with a CSRF token, no script, and a strict CSP that lets it post back and go to the client", async () => {
    const clientId = await registerClient(base);
    const page = await openSignIn((await authorizationUrl(base, clientId)).url);
    expect(page.response.status).toBe(200);
    // The authorization endpoint sends the browser to the sign-in page of its interaction.
    expect(page.url.pathname.startsWith("/oauth/interaction/")).toBe(true);
    expect(page.csrf).toMatch(/^[\w-]{43}$/);
    expect(page.html).not.toMatch(/<script/i);
    expect(page.html).toContain("waygate test client");
    const csp = page.response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("form-action 'self' http://127.0.0.1:9");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("script-src");
    expect(page.response.headers.get("cache-control")).toBe("no-store");
  });

  it("refuses a wrong key on the page, counts it, and issues no code", async () => {
    const page = await openSignIn((await authorizationUrl(base, await registerClient(base))).url);
    // Shaped like a key, with a real key's prefix, but not a key.
    const wrong = `${(await gw.key()).slice(0, -6)}zzzzzz`;
    const done = await submitSignIn(page, { key: wrong }, (url) => url.href.startsWith(REDIRECT));
    expect(done.response.status).toBe(401);
    expect(await done.response.text()).toContain("not recognised");
    expect(done.url.searchParams.get("code")).toBeNull();
  });

  it("refuses a form without the page's CSRF token", async () => {
    const page = await openSignIn((await authorizationUrl(base, await registerClient(base))).url);
    const done = await submitSignIn(page, { key: await gw.key(), csrf: "forged" }, () => false);
    expect(done.response.status).toBe(403);
    expect(await done.response.text()).toContain("not sent from this sign-in page");
  });

  it("refuses a form posted from another origin", async () => {
    const page = await openSignIn((await authorizationUrl(base, await registerClient(base))).url);
    const done = await submitSignIn(page, { key: await gw.key() }, () => false, "https://attacker.example");
    expect(done.response.status).toBe(403);
  });

  it("refuses a sign-in whose interaction cookie is missing (a link sent to someone else)", async () => {
    const page = await openSignIn((await authorizationUrl(base, await registerClient(base))).url);
    const res = await fetch(page.url, { redirect: "manual" });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("expired or was not started here");
  });

  it("sends the client back with access_denied when the person denies", async () => {
    const page = await openSignIn((await authorizationUrl(base, await registerClient(base))).url);
    const done = await submitSignIn(page, { action: "deny" }, (url) => url.href.startsWith(REDIRECT));
    expect(done.url.searchParams.get("error")).toBe("access_denied");
    expect(done.url.searchParams.get("code")).toBeNull();
  });

  it("refuses a key that holds none of the scopes asked for", async () => {
    const page = await openSignIn(
      (await authorizationUrl(base, await registerClient(base), { scope: "waygate:metrics:read" })).url,
    );
    const done = await submitSignIn(page, { key: await gw.key(["tools:list"]) }, () => false);
    expect(done.response.status).toBe(403);
    expect(await done.response.text()).toContain("holds none of the scopes asked for");
  });
});

describe("the authorization request", () => {
  it.each([
    [
      "a resource that is not this gateway's",
      { resource: "https://elsewhere.example/mcp" },
      "invalid_target",
    ],
    ["a path of the gateway that is no resource", { resource: `${"BASE"}/admin/keys` }, "invalid_target"],
    ["PKCE plain", { code_challenge_method: "plain" }, "invalid_request"],
    ["no PKCE", { code_challenge: "", code_challenge_method: "" }, "invalid_request"],
  ])("refuses %s", async (_name, params, error) => {
    const fixed = Object.fromEntries(
      Object.entries(params).map(([key, value]) => [key, value.replace("BASE", base)]),
    ) as Record<string, string>;
    const { url } = await authorizationUrl(base, await registerClient(base), fixed);
    for (const [key, value] of Object.entries(fixed)) if (value === "") url.searchParams.delete(key);
    const res = await fetch(url, { redirect: "manual" });
    const location = new URL(res.headers.get("location") ?? "http://none.invalid");
    expect(location.href.startsWith(REDIRECT)).toBe(true);
    expect(location.searchParams.get("error")).toBe(error);
  });

  it("refuses a client metadata document the egress policy does not let the gateway reach (loopback here)", async () => {
    // The same document a gateway that allows loopback accepts (oauth-builtin-flow.test.ts).
    const docs = await documentServer((url) => ({
      client_id: url,
      client_name: "Metadata Client",
      redirect_uris: [REDIRECT],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    }));
    try {
      const { url } = await authorizationUrl(base, docs.url);
      const res = await fetch(url, { redirect: "manual" });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain("invalid_client");
    } finally {
      await docs.close();
    }
  });

  it("refuses a redirect URI the client did not register, without redirecting to it", async () => {
    const { url } = await authorizationUrl(base, await registerClient(base), {
      redirect_uri: "https://attacker.example/cb",
    });
    const res = await fetch(url, { redirect: "manual" });
    expect(res.status).toBe(400);
    expect(res.headers.get("location")).toBeNull();
  });
});

describe("tokens of the built-in server", () => {
  it("carry the key's policy: its capability patterns and no scope it lacks (step-up 403 names the scope)", async () => {
    const listOnly = await gw.key(["tools:list"], { toolPatterns: ["local__*"] });
    const { accessToken } = await obtainTokens(base, listOnly);
    const res = await callCounter(accessToken);
    expect(res.status).toBe(403);
    expect(res.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
    const full = await gw.key(["tools:list", "tools:call"], { toolPatterns: ["local__*"] });
    const tokens = await obtainTokens(base, full);
    const hits = counter.hits;
    // The refusal speaks of the token, not of a key the client never had.
    await expect(callTool(`${base}/mcp`, tokens.accessToken)).rejects.toThrow(
      /This access token may not call 'counter__hit'/,
    );
    expect(counter.hits).toBe(hits);
    expect(await callTool(`${base}/mcp`, tokens.accessToken, "local__echo", { text: "in pattern" })).toEqual({
      isError: false,
      text: JSON.stringify([{ type: "text", text: "in pattern" }]),
    });
  });

  it("refreshes, and stop refreshing once the key is revoked", async () => {
    const apiKey = await gw.key();
    const { clientId, refreshToken } = await obtainTokens(base, apiKey);
    const refreshed = await tokenRequest(base, {
      grant_type: "refresh_token",
      refresh_token: refreshToken,
      client_id: clientId,
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.access_token).toBeTruthy();
    expect((await callTool(`${base}/mcp`, refreshed.body.access_token ?? "")).isError).toBe(false);
    await gw.repos.apiKeys.revoke(await keyIdOf(apiKey));
    const again = await tokenRequest(base, {
      grant_type: "refresh_token",
      refresh_token: refreshed.body.refresh_token ?? refreshToken,
      client_id: clientId,
    });
    expect(again.status).toBe(400);
    expect(again.body.error).toBe("invalid_grant");
  });

  it("stops working once its key is revoked: 401 with a challenge, audited, no upstream reached", async () => {
    const apiKey = await gw.key();
    const { accessToken } = await obtainTokens(base, apiKey);
    expect((await callTool(`${base}/mcp`, accessToken)).isError).toBe(false);
    const keyId = await keyIdOf(apiKey);
    await gw.repos.apiKeys.revoke(keyId);
    const hits = counter.hits;
    await eventually(async () => {
      const res = await callCounter(accessToken);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
      expect(res.headers.get("www-authenticate")).toContain(
        `resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`,
      );
    });
    expect(counter.hits).toBe(hits);
    const rows = await gw.auditRows();
    const refused = rows.findLast((row) => row.method === "tools/call" && row.outcome === "denied");
    expect(String(refused?.error)).toContain("authentication failed (key_revoked)");
    expect(String(refused?.error)).not.toContain(accessToken);
  });

  it("stops working once its refresh token is revoked (the grant goes with it)", async () => {
    const { clientId, accessToken, refreshToken } = await obtainTokens(base, await gw.key());
    const revoked = await fetch(`${base}/oauth/token/revocation`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        token: refreshToken,
        token_type_hint: "refresh_token",
        client_id: clientId,
      }),
    });
    expect(revoked.status).toBe(200);
    await eventually(async () => {
      const res = await callCounter(accessToken);
      expect(res.status).toBe(401);
      expect(JSON.stringify(res.body)).toContain("authorization has been revoked");
    });
  });

  it("is for one resource: a token for /servers/local/mcp is refused on /mcp", async () => {
    const { accessToken } = await obtainTokens(base, await gw.key(), {
      resource: `${base}/servers/local/mcp`,
    });
    const res = await callCounter(accessToken);
    expect(res.status).toBe(401);
    expect(JSON.stringify(res.body)).toContain("audience");
    expect(await callTool(`${base}/servers/local/mcp`, accessToken, "echo", { text: "one server" })).toEqual({
      isError: false,
      text: JSON.stringify([{ type: "text", text: "one server" }]),
    });
  });

  it("survives a restart: the same database and secret key verify and refresh the tokens issued before", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const first = await createGateway({
      database: gw.db,
      secretKey: SECRET_KEY,
      env: "test",
      logger: createLogger({ silent: true }),
      collectDefaultMetrics: false,
      ...options(url),
    });
    await first.listen({ host: "127.0.0.1", port });
    const { clientId, accessToken, refreshToken } = await obtainTokens(url, await gw.key());
    await first.close({ deadlineMs: 1000 });
    const second = await createGateway({
      database: gw.db,
      secretKey: SECRET_KEY,
      env: "test",
      logger: createLogger({ silent: true }),
      collectDefaultMetrics: false,
      ...options(url),
    });
    // Another port (a fresh connection), the same public URL: what a restarted process or another replica is.
    const { url: secondUrl } = await second.listen({ host: "127.0.0.1", port: 0 });
    try {
      expect((await callTool(`${secondUrl}/mcp`, accessToken)).isError).toBe(false);
      const refreshed = await tokenRequest(secondUrl, {
        grant_type: "refresh_token",
        refresh_token: refreshToken,
        client_id: clientId,
      });
      expect(refreshed.status).toBe(200);
    } finally {
      await second.close({ deadlineMs: 1000 });
    }
  });
});

describe("bad tokens on a gateway with the built-in server: 401 invalid_token, audited, no upstream reached", () => {
  const now = () => Math.floor(Date.now() / 1000);
  const { privateJwk, publicJwk } = deriveSigningKey(SECRET_KEY);
  const forge = async (claims: Record<string, unknown>, header: Record<string, unknown> = {}) => {
    const key = await importJWK(privateJwk, "ES256");
    const keyId = (await gw.repos.apiKeys.list())[0]?.id ?? "k";
    return new SignJWT({
      scope: "waygate:tools:list waygate:tools:call",
      client_id: "c",
      gid: "g",
      ...claims,
    })
      .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: publicJwk.kid, ...header })
      .setSubject((claims.sub as string) ?? keyId)
      .setIssuer((claims.iss as string) ?? `${base}/oauth`)
      .setAudience((claims.aud as string) ?? `${base}/mcp`)
      .setIssuedAt((claims.iat as number) ?? now())
      .setExpirationTime((claims.exp as number) ?? now() + 300)
      .sign(key);
  };
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const cases: [string, () => Promise<string>, string][] = [
    ["a wrong audience", () => forge({ aud: "https://elsewhere.example/mcp" }), "wrong_audience"],
    ["a wrong issuer", () => forge({ iss: "https://impostor.example/oauth" }), "wrong_issuer"],
    ["an expired token", () => forge({ iat: now() - 7200, exp: now() - 3600 }), "expired"],
    ["a token not valid yet", () => forge({ nbf: now() + 3600 }), "not_yet_valid"],
    [
      "alg none",
      async () =>
        `${part({ alg: "none" })}.${part({ iss: `${base}/oauth`, aud: `${base}/mcp`, sub: "x", exp: now() + 300 })}.`,
      "alg_not_allowed",
    ],
    [
      "HS256 signed with the public key (algorithm confusion)",
      async () => {
        const publicKey = await importJWK(publicJwk, "ES256");
        const secret = new TextEncoder().encode(await exportSPKI(publicKey as CryptoKey));
        return new SignJWT({ scope: "waygate:tools:call" })
          .setProtectedHeader({ alg: "HS256", kid: publicJwk.kid })
          .setSubject("x")
          .setIssuer(`${base}/oauth`)
          .setAudience(`${base}/mcp`)
          .setExpirationTime(now() + 300)
          .sign(secret);
      },
      "alg_not_allowed",
    ],
    [
      "an unknown kid",
      async () => {
        const { privateKey } = await generateKeyPair("ES256");
        return new SignJWT({ scope: "waygate:tools:call" })
          .setProtectedHeader({ alg: "ES256", kid: "stranger" })
          .setSubject("x")
          .setIssuer(`${base}/oauth`)
          .setAudience(`${base}/mcp`)
          .setExpirationTime(now() + 300)
          .sign(privateKey);
      },
      "unknown_key",
    ],
    ["a malformed JWT", async () => "not.a-jwt", "malformed"],
    ["a subject that is no key", () => forge({ sub: "no-such-key" }), "key_revoked"],
    ["a grant that does not exist", () => forge({ gid: "no-such-grant" }), "grant_revoked"],
  ];

  it.each(cases)("refuses %s", async (_name, make, reason) => {
    const token = await make();
    const before = (await gw.auditRows()).length;
    const hits = counter.hits;
    const res = await callCounter(token);
    expect(res.status).toBe(401);
    expect(res.body.error.data.code).toBe("unauthenticated");
    const challenge = res.headers.get("www-authenticate") ?? "";
    expect(challenge).toContain('error="invalid_token"');
    expect(challenge).toContain(`resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`);
    expect(counter.hits).toBe(hits);
    const rows = (await gw.auditRows()).slice(before);
    expect(rows).toMatchObject([
      { method: "tools/call", server: "counter", tool: "hit", outcome: "denied", key_id: null },
    ]);
    expect(String(rows[0]?.error)).toContain(`authentication failed (${reason})`);
  });
});
