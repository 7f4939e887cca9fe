import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { definePlugin, tool } from "@waygate/plugin-sdk";
import { type CryptoKey, decodeProtectedHeader, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { oauthKeyId, policyOfToken, principalOfKeyId } from "../src/auth/oauth-caller.js";
import { type OAuthOptionsInput, OAuthOptionsSchema } from "../src/auth/oauth-options.js";
import { resourceOf } from "../src/auth/resource-metadata.js";
import { connectClient, get, localPlugin, post, startGateway, type TestGateway } from "./helpers.js";
import { newSigningKey, startProvider, type TestProvider } from "./support/oidc-provider.js";

/** The gateway's public URL as a TLS-terminating proxy in front of it would serve it; never contacted. */
const PUBLIC_URL = "https://gateway.example.test";
const MCP_RESOURCE = `${PUBLIC_URL}/mcp`;
const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
};
const MCP_HEADERS = { accept: "application/json, text/event-stream" };

/** A plugin that counts the calls that reach it, to prove a refused request reaches no upstream. */
function counterPlugin() {
  const counter = { hits: 0 };
  const plugin = definePlugin({
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
  return { plugin, counter };
}

const CALL_COUNTER = {
  jsonrpc: "2.0",
  id: 2,
  method: "tools/call",
  params: { name: "counter__hit", arguments: {} },
};

let provider: TestProvider;
let gw: TestGateway;
let counter: { hits: number };

beforeAll(async () => {
  provider = await startProvider();
  const counted = counterPlugin();
  counter = counted.counter;
  gw = await startGateway({
    plugins: [localPlugin(), counted.plugin],
    // The provider rotates its key during the tests; refetch the key set on every unknown kid.
    oauth: { issuer: provider.issuer, publicUrl: PUBLIC_URL, jwksCooldownMs: 0, clockSkewSeconds: 30 },
  });
});

afterAll(async () => {
  await gw?.close();
  await provider?.close();
});

/** Signs claims with the provider's own key, as the provider would, unless told otherwise. */
async function forge(claims: Record<string, unknown>, options: { kid?: string; key?: CryptoKey } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    scope: "waygate:tools:list waygate:tools:call",
    client_id: provider.clientId,
    ...claims,
  })
    .setProtectedHeader({ alg: "RS256", typ: "at+jwt", kid: options.kid ?? provider.key.kid })
    .setSubject("forger")
    .setIssuer((claims.iss as string) ?? provider.issuer)
    .setAudience((claims.aud as string) ?? MCP_RESOURCE)
    .setIssuedAt((claims.iat as number) ?? now)
    .setExpirationTime((claims.exp as number) ?? now + 300)
    .sign(options.key ?? provider.key.privateKey);
}

function unsignedJwt(header: Record<string, unknown>, claims: Record<string, unknown>, signature = "") {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part(header)}.${part(claims)}.${signature}`;
}

async function deniedRowsSince(before: number) {
  const rows = await gw.auditRows();
  return rows.slice(before);
}

describe("protected resource metadata (RFC 9728)", () => {
  it("serves the gateway's, /mcp's and each server's metadata with resources built from the public URL", async () => {
    const root = await get(`${gw.url}/.well-known/oauth-protected-resource`);
    expect(root.status).toBe(200);
    expect(root.body).toMatchObject({
      resource: `${PUBLIC_URL}/`,
      authorization_servers: [provider.issuer],
      scopes_supported: ["waygate:tools:list", "waygate:tools:call", "waygate:metrics:read"],
      bearer_methods_supported: ["header"],
    });
    expect(root.headers.get("access-control-allow-origin")).toBe("*");
    const mcp = await get(`${gw.url}/.well-known/oauth-protected-resource/mcp`);
    expect(mcp.body.resource).toBe(MCP_RESOURCE);
    const single = await get(`${gw.url}/.well-known/oauth-protected-resource/servers/local/mcp`);
    expect(single.body.resource).toBe(`${PUBLIC_URL}/servers/local/mcp`);
    expect(single.body.authorization_servers).toEqual([provider.issuer]);
  });

  it("ignores the Host a request names: the documents say the configured public URL", async () => {
    const res = await get(`${gw.url}/.well-known/oauth-protected-resource/mcp`, {
      "x-forwarded-host": "evil.example",
      "x-forwarded-proto": "http",
    });
    expect(res.body.resource).toBe(MCP_RESOURCE);
  });

  it("answers a browser's preflight for the metadata from any origin", async () => {
    const res = await fetch(`${gw.url}/.well-known/oauth-protected-resource/mcp`, {
      method: "OPTIONS",
      headers: {
        origin: "https://inspector.example",
        "access-control-request-method": "GET",
        "access-control-request-headers": "mcp-protocol-version",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-headers")).toBe("mcp-protocol-version");
  });

  it("names each path's resource: a trailing slash is the same endpoint, other paths are the gateway", () => {
    expect(resourceOf(PUBLIC_URL, "/mcp/").href).toBe(MCP_RESOURCE);
    expect(resourceOf(PUBLIC_URL, "/servers/local/mcp/").href).toBe(`${PUBLIC_URL}/servers/local/mcp`);
    expect(resourceOf(PUBLIC_URL, "/messages").href).toBe(`${PUBLIC_URL}/sse`);
    expect(resourceOf(PUBLIC_URL, "/mcp/execute").href).toBe(`${PUBLIC_URL}/`);
    expect(resourceOf(PUBLIC_URL, "/servers/local/mcp/extra").href).toBe(`${PUBLIC_URL}/`);
  });

  it("answers 404 for metadata of a path that is no MCP endpoint or an invalid server name", async () => {
    expect((await get(`${gw.url}/.well-known/oauth-protected-resource/admin`)).status).toBe(404);
    expect((await get(`${gw.url}/.well-known/oauth-protected-resource/servers/bad.name!/mcp`)).status).toBe(
      404,
    );
  });
});

describe("challenges", () => {
  it("answers an MCP request without credentials with 401 naming the endpoint's metadata", async () => {
    const res = await post(`${gw.url}/mcp`, INITIALIZE, MCP_HEADERS);
    expect(res.status).toBe(401);
    const challenge = res.headers.get("www-authenticate");
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).toContain(`resource_metadata="${PUBLIC_URL}/.well-known/oauth-protected-resource/mcp"`);
    expect(challenge).toContain('scope="waygate:tools:list waygate:tools:call waygate:metrics:read"');
    expect(challenge).not.toContain("error=");
    expect(res.body.error.data.code).toBe("unauthenticated");
  });

  it("names each server's own metadata on /servers/<name>/mcp and the gateway's on REST routes", async () => {
    const single = await post(`${gw.url}/servers/local/mcp`, INITIALIZE, MCP_HEADERS);
    expect(single.headers.get("www-authenticate")).toContain(
      `resource_metadata="${PUBLIC_URL}/.well-known/oauth-protected-resource/servers/local/mcp"`,
    );
    const rest = await get(`${gw.url}/mcp/tools`);
    expect(rest.status).toBe(401);
    expect(rest.headers.get("www-authenticate")).toContain(
      `resource_metadata="${PUBLIC_URL}/.well-known/oauth-protected-resource"`,
    );
  });

  it("puts the challenge on an API key's 401 too, and still serves a good API key", async () => {
    const bad = await post(`${gw.url}/mcp`, INITIALIZE, { ...MCP_HEADERS, authorization: "Bearer wg_nope" });
    expect(bad.status).toBe(401);
    expect(bad.headers.get("www-authenticate")).toContain("resource_metadata=");
    const client = await connectClient(`${gw.url}/mcp`, await gw.key());
    expect((await client.listTools()).tools.map((t) => t.name)).toContain("local__echo");
    await client.close();
  });
});

describe("access tokens from a real OpenID provider", () => {
  it("lets the SDK client list and call tools on /mcp with a client-credentials token for /mcp", async () => {
    const token = await provider.token(MCP_RESOURCE);
    const client = await connectClient(`${gw.url}/mcp`, token);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain("local__echo");
    const result = await client.callTool({ name: "local__echo", arguments: { text: "via oauth" } });
    expect(result.content).toEqual([{ type: "text", text: "via oauth" }]);
    await client.close();
    const rows = await gw.auditRows();
    const call = rows.findLast((row) => row.method === "tools/call");
    expect(call).toMatchObject({ tool: "echo", outcome: "ok", key_id: null });
    expect(JSON.parse(String(call?.principal))).toEqual({
      subject: "waygate-tests",
      clientId: "waygate-tests",
    });
  });

  it("serves a token for /servers/local/mcp there and refuses it on /mcp (a token for another resource)", async () => {
    const token = await provider.token(`${PUBLIC_URL}/servers/local/mcp`);
    const client = await connectClient(`${gw.url}/servers/local/mcp`, token);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain("echo");
    await client.close();
    const hits = counter.hits;
    const other = await post(`${gw.url}/mcp`, CALL_COUNTER, {
      ...MCP_HEADERS,
      authorization: `Bearer ${token}`,
    });
    expect(other.status).toBe(401);
    expect(other.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect(counter.hits).toBe(hits);
  });

  it("steps up: a token without waygate:tools:call gets 403 insufficient_scope naming the scope to ask for", async () => {
    const token = await provider.token(MCP_RESOURCE, "waygate:tools:list");
    const client = await connectClient(`${gw.url}/mcp`, token);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await client.close();
    const before = (await gw.auditRows()).length;
    const hits = counter.hits;
    const res = await post(`${gw.url}/mcp`, CALL_COUNTER, {
      ...MCP_HEADERS,
      authorization: `Bearer ${token}`,
    });
    expect(res.status).toBe(403);
    const challenge = res.headers.get("www-authenticate") ?? "";
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain('scope="waygate:tools:list waygate:tools:call"');
    expect(challenge).toContain(`resource_metadata="${PUBLIC_URL}/.well-known/oauth-protected-resource/mcp"`);
    expect(res.body.error.data.code).toBe("forbidden");
    expect(counter.hits).toBe(hits);
    const rows = await deniedRowsSince(before);
    expect(rows).toMatchObject([{ method: "tools/call", server: "counter", tool: "hit", outcome: "denied" }]);
    expect(String(rows[0]!.error)).toContain("tools:call");
    expect(JSON.parse(String(rows[0]!.principal))).toMatchObject({ subject: "waygate-tests" });
  });

  it("steps up on REST too: /mcp/execute with a list-only token gets 403 insufficient_scope", async () => {
    // The REST API belongs to the gateway as a whole, so the token is for the gateway's own resource.
    const token = await provider.token(`${PUBLIC_URL}/`, "waygate:tools:list");
    const hits = counter.hits;
    const res = await post(
      `${gw.url}/mcp/execute`,
      { tool: "counter__hit", arguments: {} },
      { authorization: `Bearer ${token}` },
    );
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("forbidden");
    expect(res.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
    expect(res.headers.get("www-authenticate")).toContain(
      `resource_metadata="${PUBLIC_URL}/.well-known/oauth-protected-resource"`,
    );
    expect(counter.hits).toBe(hits);
  });

  it("refuses an API-key caller's missing scope without an OAuth step-up challenge", async () => {
    const key = await gw.key(["tools:list"]);
    const res = await post(
      `${gw.url}/mcp/execute`,
      { tool: "counter__hit", arguments: {} },
      { "x-api-key": key },
    );
    expect(res.status).toBe(403);
    expect(res.headers.get("www-authenticate")).toBeNull();
  });

  it("serves a token for /sse over the legacy transport, and refuses a token for /mcp there", async () => {
    const legacy = async (token: string) => {
      const client = new Client({ name: "legacy", version: "1.0.0" });
      const auth = { Authorization: `Bearer ${token}` };
      await client.connect(
        new SSEClientTransport(new URL(`${gw.url}/sse`), {
          requestInit: { headers: auth },
          eventSourceInit: {
            fetch: (url, init) => fetch(url, { ...init, headers: { ...init?.headers, ...auth } }),
          },
        }),
      );
      return client;
    };
    const client = await legacy(await provider.token(`${PUBLIC_URL}/sse`));
    const result = await client.callTool({ name: "local__echo", arguments: { text: "legacy oauth" } });
    expect(result.content).toEqual([{ type: "text", text: "legacy oauth" }]);
    await client.close();
    await expect(legacy(await provider.token(MCP_RESOURCE))).rejects.toThrow(/401|Unauthorized/);
  });

  it("picks up a rotated signing key: a token signed with the new key is accepted", async () => {
    const oldKid = provider.key.kid;
    await provider.rotateKey();
    const token = await provider.token(MCP_RESOURCE);
    expect(decodeProtectedHeader(token).kid).not.toBe(oldKid);
    const client = await connectClient(`${gw.url}/mcp`, token);
    expect((await client.callTool({ name: "counter__hit", arguments: {} })).isError).toBeFalsy();
    await client.close();
  });
});

describe("bad tokens: 401 invalid_token, audited as an authentication failure, no upstream reached", () => {
  const now = () => Math.floor(Date.now() / 1000);
  const cases: [string, () => Promise<string>, string][] = [
    ["a wrong audience", () => forge({ aud: "https://elsewhere.example/mcp" }), "wrong_audience"],
    [
      "a token for another resource of this gateway",
      () => forge({ aud: `${PUBLIC_URL}/servers/local/mcp` }),
      "wrong_audience",
    ],
    ["a wrong issuer", () => forge({ iss: "https://impostor.example" }), "wrong_issuer"],
    ["an expired token", () => forge({ iat: now() - 3600, exp: now() - 600 }), "expired"],
    ["a token not valid yet", () => forge({ nbf: now() + 600 }), "not_yet_valid"],
    [
      "alg none",
      async () =>
        unsignedJwt(
          { alg: "none", typ: "at+jwt" },
          {
            iss: provider.issuer,
            aud: MCP_RESOURCE,
            sub: "x",
            exp: now() + 300,
            scope: "waygate:tools:call",
          },
        ),
      "alg_not_allowed",
    ],
    [
      "HS256 signed with the provider's public key (algorithm confusion)",
      async () => {
        const { exportSPKI } = await import("jose");
        const secret = new TextEncoder().encode(await exportSPKI(provider.key.publicKey));
        return new SignJWT({ scope: "waygate:tools:call" })
          .setProtectedHeader({ alg: "HS256", kid: provider.key.kid })
          .setSubject("x")
          .setIssuer(provider.issuer)
          .setAudience(MCP_RESOURCE)
          .setExpirationTime(now() + 300)
          .sign(secret);
      },
      "alg_not_allowed",
    ],
    [
      "an unknown kid",
      async () => {
        const stranger = await newSigningKey();
        return forge({}, { kid: stranger.kid, key: stranger.privateKey });
      },
      "unknown_key",
    ],
    [
      "a known kid with a signature by another key",
      async () => forge({}, { key: (await newSigningKey()).privateKey }),
      "bad_signature",
    ],
    ["a malformed JWT", async () => "not.a-jwt", "malformed"],
    [
      "a token naming neither a subject nor a client",
      () =>
        new SignJWT({ scope: "waygate:tools:call" })
          .setProtectedHeader({ alg: "RS256", kid: provider.key.kid })
          .setIssuer(provider.issuer)
          .setAudience(MCP_RESOURCE)
          .setExpirationTime(now() + 300)
          .sign(provider.key.privateKey),
      "no_subject",
    ],
  ];

  it.each(cases)("refuses %s", async (_name, make, reason) => {
    const token = await make();
    const before = (await gw.auditRows()).length;
    const hits = counter.hits;
    const res = await post(`${gw.url}/mcp`, CALL_COUNTER, {
      ...MCP_HEADERS,
      authorization: `Bearer ${token}`,
    });
    expect(res.status).toBe(401);
    expect(res.body.error.data.code).toBe("unauthenticated");
    const challenge = res.headers.get("www-authenticate") ?? "";
    expect(challenge).toContain('error="invalid_token"');
    expect(challenge).toContain(`resource_metadata="${PUBLIC_URL}/.well-known/oauth-protected-resource/mcp"`);
    expect(counter.hits).toBe(hits);
    const rows = await deniedRowsSince(before);
    expect(rows).toMatchObject([
      { method: "tools/call", server: "counter", tool: "hit", outcome: "denied", key_id: null },
    ]);
    expect(String(rows[0]!.error)).toContain(`authentication failed (${reason})`);
    expect(String(rows[0]!.error)).not.toContain(token);
  });

  it("refuses a bad token on a REST route with the gateway's challenge and an authenticate audit row", async () => {
    const before = (await gw.auditRows()).length;
    const res = await get(`${gw.url}/mcp/tools`, {
      authorization: `Bearer ${await forge({ iss: "https://x.example" })}`,
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain(
      `resource_metadata="${PUBLIC_URL}/.well-known/oauth-protected-resource"`,
    );
    expect(await deniedRowsSince(before)).toMatchObject([
      { method: "authenticate", transport: "rest", outcome: "denied" },
    ]);
  });
});

describe("an OAuth caller's key id", () => {
  it("round-trips a subject and a client id that hold '@', '/' and ':' (a client ID metadata document URL)", () => {
    const keyId = oauthKeyId("user@example.com", "https://client.example/a:b@c");
    expect(keyId.startsWith("oauth:")).toBe(true);
    expect(principalOfKeyId(keyId)).toEqual({
      subject: "user@example.com",
      clientId: "https://client.example/a:b@c",
    });
    expect(principalOfKeyId(oauthKeyId("svc", null))).toEqual({ subject: "svc", clientId: null });
  });

  it("is not read from an API key's id", () => {
    expect(principalOfKeyId("3f2a9c1e-key-id")).toBeNull();
    expect(principalOfKeyId(null)).toBeNull();
  });
});

describe("without OAuth configured", () => {
  it("serves no metadata and sends no challenge", async () => {
    const plain = await startGateway();
    try {
      expect((await get(`${plain.url}/.well-known/oauth-protected-resource`)).status).toBe(404);
      const res = await post(`${plain.url}/mcp`, INITIALIZE, MCP_HEADERS);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBeNull();
    } finally {
      await plain.close();
    }
  });
});

describe("introspection (RFC 7662) of opaque tokens", () => {
  let opaque: TestProvider;
  let gateway: TestGateway;

  beforeAll(async () => {
    opaque = await startProvider({ opaque: true });
    gateway = await startGateway({
      oauth: {
        issuer: opaque.issuer,
        publicUrl: PUBLIC_URL,
        introspection: { clientId: opaque.clientId, clientSecret: opaque.clientSecret },
      },
    });
  });

  afterAll(async () => {
    await gateway?.close();
    await opaque?.close();
  });

  it("serves an opaque token the issuer reports active for /mcp", async () => {
    const token = await opaque.token(MCP_RESOURCE);
    expect(token.split(".")).toHaveLength(1);
    const client = await connectClient(`${gateway.url}/mcp`, token);
    const result = await client.callTool({ name: "local__echo", arguments: { text: "introspected" } });
    expect(result.content).toEqual([{ type: "text", text: "introspected" }]);
    await client.close();
  });

  it("refuses an opaque token for another resource, and one the issuer does not know, as inactive or wrong audience", async () => {
    const other = await opaque.token(`${PUBLIC_URL}/servers/local/mcp`);
    const wrong = await post(`${gateway.url}/mcp`, INITIALIZE, {
      ...MCP_HEADERS,
      authorization: `Bearer ${other}`,
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect(wrong.body.error.message).toContain("audience");
    const unknown = await post(`${gateway.url}/mcp`, INITIALIZE, {
      ...MCP_HEADERS,
      authorization: "Bearer made-up-opaque-token",
    });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.message).toContain("inactive");
  });
});

describe("tokens stay at the gateway", () => {
  it("never passes the caller's access token to an HTTP upstream; the upstream sees only its configured headers", async () => {
    const { McpServer } = await import("@modelcontextprotocol/sdk/server/mcp.js");
    const { StreamableHTTPServerTransport } = await import(
      "@modelcontextprotocol/sdk/server/streamableHttp.js"
    );
    const { createServer } = await import("node:http");
    const seen: (string | undefined)[] = [];
    const upstream = createServer(async (req, res) => {
      seen.push(req.headers.authorization);
      const server = new McpServer({ name: "recorder", version: "1.0.0" });
      server.registerTool("ping", { description: "Answers pong" }, () => ({
        content: [{ type: "text", text: "pong" }],
      }));
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      await server.connect(transport);
      await transport.handleRequest(req, res);
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const port = (upstream.address() as { port: number }).port;
    const gateway = await startGateway({
      upstreams: {
        recorder: {
          type: "http",
          url: `http://127.0.0.1:${port}/mcp`,
          headers: { authorization: "Bearer upstream-own" },
        },
      },
      // The recording upstream listens on loopback, which the egress policy refuses unless allowed.
      egress: { allow: ["127.0.0.1/32"] },
      oauth: { issuer: provider.issuer, publicUrl: PUBLIC_URL },
    });
    try {
      const token = await provider.token(MCP_RESOURCE);
      const client = await connectClient(`${gateway.url}/mcp`, token);
      const result = await client.callTool({ name: "recorder__ping", arguments: {} });
      expect(result.content).toEqual([{ type: "text", text: "pong" }]);
      await client.close();
      expect(seen.length).toBeGreaterThan(0);
      expect(new Set(seen)).toEqual(new Set(["Bearer upstream-own"]));
      expect(seen).not.toContain(`Bearer ${token}`);
    } finally {
      await gateway.close();
      upstream.closeAllConnections();
      await new Promise<void>((resolve) => upstream.close(() => resolve()));
    }
  });
});

describe("an issuer that cannot be reached", () => {
  it("answers 503 issuer_unavailable (not 401: the token may be fine) and lets API keys through", async () => {
    const { createServer } = await import("node:net");
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const gateway = await startGateway({
      oauth: { issuer: `http://127.0.0.1:${port}`, publicUrl: PUBLIC_URL, issuerTimeoutMs: 2000 },
    });
    try {
      const token = await forge({});
      const res = await post(`${gateway.url}/mcp`, INITIALIZE, {
        ...MCP_HEADERS,
        authorization: `Bearer ${token}`,
      });
      expect(res.status).toBe(503);
      expect(res.body.error.data.code).toBe("issuer_unavailable");
      expect(res.body.error.message).toContain("oauth.issuer");
      const client = await connectClient(`${gateway.url}/mcp`, await gateway.key());
      expect((await client.listTools()).tools.length).toBeGreaterThan(0);
      await client.close();
    } finally {
      await gateway.close();
    }
  });
});

describe("grants by claim", () => {
  const grants: { claims: OAuthOptionsInput["claims"] & object } = {
    claims: [
      {
        claim: "groups",
        value: "mcp-callers",
        scopes: ["tools:list", "tools:call"],
        toolPatterns: ["local__*"],
      },
      { claim: "groups", value: "ops", scopes: ["metrics:read"], rateLimitPerMinute: 5000 },
    ],
  };

  it("gives a token in a group the group's scopes and capability patterns, through the same policy as keys", async () => {
    const counted = counterPlugin();
    const gateway = await startGateway({
      plugins: [localPlugin(), counted.plugin],
      oauth: { issuer: provider.issuer, publicUrl: PUBLIC_URL, claims: grants.claims },
    });
    try {
      provider.extraClaims.groups = ["staff", "mcp-callers"];
      // No waygate:* scope at all: everything comes from the group.
      const token = await provider.token(MCP_RESOURCE, "waygate:metrics:read");
      const client = await connectClient(`${gateway.url}/mcp`, token);
      const echo = await client.callTool({ name: "local__echo", arguments: { text: "by group" } });
      expect(echo.content).toEqual([{ type: "text", text: "by group" }]);
      await expect(client.callTool({ name: "counter__hit", arguments: {} })).rejects.toMatchObject({
        code: -32003,
        message: expect.stringContaining("may not call 'counter__hit' (not in its capability patterns)"),
      });
      expect(counted.counter.hits).toBe(0);
      await client.close();
    } finally {
      delete provider.extraClaims.groups;
      await gateway.close();
    }
  });

  it("gives a token outside the groups only what its scopes map to (here nothing to call with)", async () => {
    const gateway = await startGateway({
      oauth: { issuer: provider.issuer, publicUrl: PUBLIC_URL, claims: grants.claims },
    });
    try {
      provider.extraClaims.groups = ["staff"];
      const token = await provider.token(MCP_RESOURCE, "waygate:metrics:read");
      const res = await post(
        `${gateway.url}/mcp`,
        { jsonrpc: "2.0", id: 3, method: "tools/list", params: {} },
        { ...MCP_HEADERS, authorization: `Bearer ${token}` },
      );
      expect(res.status).toBe(403);
      expect(res.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
      expect(res.headers.get("www-authenticate")).toContain(
        'scope="waygate:metrics:read waygate:tools:list"',
      );
    } finally {
      delete provider.extraClaims.groups;
      await gateway.close();
    }
  });

  it("combines the matching grants: union of scopes, the highest rate limit, patterns from the grants that set them", () => {
    const options = OAuthOptionsSchema.parse({
      issuer: "https://issuer.example",
      publicUrl: PUBLIC_URL,
      claims: grants.claims,
      rateLimitPerMinute: 60,
    });
    const token = (claims: Record<string, unknown>, scopes: string[] = []) => ({
      issuer: "https://issuer.example",
      subject: "s",
      clientId: "c",
      scopes,
      claims,
    });
    expect(policyOfToken(token({ groups: ["mcp-callers", "ops"] }), options)).toEqual({
      scopes: ["tools:list", "tools:call", "metrics:read"],
      toolPatterns: ["local__*"],
      rateLimitPerMinute: 5000,
    });
    expect(policyOfToken(token({ groups: "ops" }, ["waygate:tools:list"]), options)).toEqual({
      scopes: ["tools:list", "metrics:read"],
      toolPatterns: null,
      rateLimitPerMinute: 5000,
    });
    // A claim with another value, or of another type, grants nothing.
    expect(policyOfToken(token({ groups: ["mcp-callers-not"], roles: "ops" }), options)).toEqual({
      scopes: [],
      toolPatterns: null,
      rateLimitPerMinute: 60,
    });
  });
});
