import { StreamableHTTPClientTransport, Client as V2Client } from "@modelcontextprotocol/client";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { oauthKeyId } from "../src/auth/oauth-caller.js";
import { parseGatewayOptions } from "../src/options.js";
import { principalOf } from "../src/upstreams/user-tokens/principal.js";
import { connectClient, get, startGateway, type TestGateway } from "./helpers.js";
import { CookieJar, follow, freePort } from "./support/builtin-sign-in.js";
import { startProvider, type TestProvider } from "./support/oidc-provider.js";

// A real OpenID provider guards a real upstream (a second Waygate that accepts only that provider's tokens for its
// own resource and audits who called). The front gateway gets a token per Waygate principal by authorization code +
// PKCE, through a link that a scripted browser follows.
let provider: TestProvider;
let upstream: TestGateway;
let front: TestGateway;
let frontUrl: string;

const SCOPE = "waygate:tools:list waygate:tools:call offline_access";

beforeAll(async () => {
  const frontPort = await freePort();
  frontUrl = `http://127.0.0.1:${frontPort}`;
  provider = await startProvider({ codeClient: { redirectUri: `${frontUrl}/oauth/upstream/callback` } });
  const upstreamPort = await freePort();
  upstream = await startGateway(
    { oauth: { issuer: provider.issuer, publicUrl: `http://127.0.0.1:${upstreamPort}` } },
    { port: upstreamPort },
  );
  front = await startGateway(
    {
      upstreams: { guarded: { url: `${upstream.url}/mcp` } },
      egress: { allow: ["127.0.0.1/32"] },
      upstreamOAuth: {
        guarded: {
          authorizationCode: {
            clientId: provider.codeClient?.id ?? "",
            clientSecret: provider.codeClient?.secret ?? "",
            scope: SCOPE,
            issuer: provider.issuer,
            publicUrl: frontUrl,
          },
        },
      },
    },
    { port: frontPort },
  );
}, 60_000);

afterAll(async () => {
  await front?.close();
  await upstream?.close();
  await provider?.close();
});

/** A browser opening a link: follows the redirects (keeping cookies) until a page answers. */
class Browser {
  readonly jar = new CookieJar();
  async open(link: string): Promise<{ status: number; text: string }> {
    const { response } = await follow(link, this.jar, () => false);
    return { status: response.status, text: await response.text() };
  }
}

/** The sign-in link of a result that asks the caller to sign in. */
function linkOf(result: { isError?: unknown; _meta?: unknown; content?: unknown }, base = frontUrl): string {
  expect(result.isError).toBe(true);
  const url = (result._meta as { "waygate/signIn"?: { url: string } } | undefined)?.["waygate/signIn"]?.url;
  expect(url).toMatch(new RegExp(`^${base}/oauth/upstream/start/[\\w-]{43}$`));
  expect(JSON.stringify(result.content)).toContain(String(url));
  return String(url);
}

const upstreamCalls = async () => (await upstream.auditRows()).filter((row) => row.method === "tools/call");
const echo = (client: Client, text: string) =>
  client.callTool({ name: "guarded__local__echo", arguments: { text } });
const admin = async () => ({ authorization: `Bearer ${await front.key(["admin"])}` });

async function del(url: string, headers: Record<string, string>) {
  const response = await fetch(url, { method: "DELETE", headers });
  return { status: response.status, body: (await response.json()) as { error: { message: string } } };
}

async function signedIn(user: string): Promise<{ client: Client; key: string }> {
  const key = await front.key();
  const client = await connectClient(`${front.url}/mcp`, key);
  const link = linkOf(await client.callTool({ name: "guarded__waygate_sign_in", arguments: {} }));
  provider.user = user;
  const page = await new Browser().open(link);
  expect(page.status).toBe(200);
  expect(page.text).toContain("Signed in to guarded");
  return { client, key };
}

describe("per-user upstream tokens (authorization code + PKCE)", () => {
  it("lists only the sign-in tool before anyone signed in, and a caller without a token never reaches the upstream", async () => {
    const client = await connectClient(`${front.url}/mcp`, await front.key());
    const before = (await upstreamCalls()).length;
    const tools = await client.listTools();
    const guarded = tools.tools.map((tool) => tool.name).filter((name) => name.startsWith("guarded__"));
    expect(guarded).toEqual(["guarded__waygate_sign_in"]);
    const link = linkOf(await client.callTool({ name: "guarded__waygate_sign_in", arguments: {} }));
    expect((await upstreamCalls()).length).toBe(before);
    // The link is the caller's alone: its audit row says a sign-in was asked for, without the link.
    const row = (await front.auditRows()).findLast((entry) => entry.tool === "waygate_sign_in");
    expect(row?.error).toBe("the caller must sign in to the upstream first (sign-in link withheld)");
    expect(JSON.stringify(await front.auditRows())).not.toContain(link.slice(link.lastIndexOf("/") + 1));
    await client.close();
  });

  it("binds each principal's token to that principal: two keys act at the upstream as two different users", async () => {
    const alice = await signedIn("alice");
    expect((await alice.client.listTools()).tools.map((tool) => tool.name)).toContain("guarded__local__echo");
    expect((await echo(alice.client, "from alice")).content).toEqual([{ type: "text", text: "from alice" }]);
    expect(JSON.parse(String((await upstreamCalls()).at(-1)?.principal))).toMatchObject({ subject: "alice" });

    // A second key has no token: its call is answered with its own link and the upstream sees nothing.
    const bobKey = await front.key();
    const bob = await connectClient(`${front.url}/mcp`, bobKey);
    const before = (await upstreamCalls()).length;
    const link = linkOf(await echo(bob, "from bob"));
    expect((await upstreamCalls()).length).toBe(before);
    provider.user = "bob";
    expect((await new Browser().open(link)).status).toBe(200);
    expect((await echo(bob, "from bob")).content).toEqual([{ type: "text", text: "from bob" }]);
    expect(JSON.parse(String((await upstreamCalls()).at(-1)?.principal))).toMatchObject({ subject: "bob" });
    // Alice still acts as alice.
    await echo(alice.client, "alice again");
    expect(JSON.parse(String((await upstreamCalls()).at(-1)?.principal))).toMatchObject({ subject: "alice" });

    // Two rows, two different access tokens, neither in clear in the database.
    const listed = await get(`${front.url}/admin/upstream-tokens?server=guarded`, await admin());
    expect(listed.status).toBe(200);
    const principals = listed.body.tokens.map((row: { principal: string }) => row.principal);
    expect(principals).toHaveLength(2);
    const [first, second] = await Promise.all(
      principals.map((principal: string) => front.repos.upstreamUserTokens.get("guarded", principal)),
    );
    expect(first?.access_token).toEqual(expect.any(String));
    expect(first?.access_token).not.toBe(second?.access_token);
    const raw = JSON.stringify((await front.db.client.execute("SELECT * FROM upstream_user_tokens")).rows);
    expect(raw).not.toContain(String(first?.access_token));
    expect(raw).not.toContain(String(first?.refresh_token));
    expect(JSON.stringify(listed.body)).not.toContain(String(first?.access_token));
    await alice.client.close();
    await bob.close();
  });

  it.each([
    ["2025-11-25", "grace", "guarded__waygate_sign_in"],
    ["2026-07-28", "heidi", "guarded__waygate_sign_in"],
    ["2026-07-28", "kim", "guarded__local__echo"],
  ])(
    "asks a %s client that supports URL elicitation to open the link, and waits for the sign-in (%s calls %s)",
    async (revision, user, first) => {
      const client = new V2Client(
        { name: "elicitation-test", version: "1.0.0" },
        {
          versionNegotiation: { mode: revision === "2026-07-28" ? { pin: revision } : "legacy" },
          capabilities: { elicitation: { url: {} } },
        },
      );
      const asked: { mode?: string; url?: string }[] = [];
      client.setRequestHandler("elicitation/create", async (request) => {
        const params = request.params as { mode?: string; url?: string };
        asked.push(params);
        provider.user = user;
        // The client's user opens the link in a browser and signs in; then the client answers.
        const page = await new Browser().open(String(params.url));
        return { action: page.status === 200 ? ("accept" as const) : ("cancel" as const) };
      });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${front.url}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${await front.key()}` } },
        }),
      );
      const result = await client.callTool({ name: first, arguments: { text: "first call" } });
      // The sign-in tool reports the sign-in; any other tool goes on with the new token and answers itself.
      const expected = first === "guarded__local__echo" ? "first call" : "Signed in to guarded.";
      expect(result.content).toEqual([{ type: "text", text: expected }]);
      expect(result.isError).toBeFalsy();
      expect(asked).toEqual([
        expect.objectContaining({ mode: "url", url: expect.stringContaining("/oauth/upstream/start/") }),
      ]);
      const echoed = await client.callTool({ name: "guarded__local__echo", arguments: { text: user } });
      expect(echoed.content).toEqual([{ type: "text", text: user }]);
      expect(JSON.parse(String((await upstreamCalls()).at(-1)?.principal))).toMatchObject({ subject: user });
      await client.close();
    },
  );

  it("answers a declined URL elicitation with an error result, and the call never reaches the upstream", async () => {
    const client = new V2Client(
      { name: "elicitation-test", version: "1.0.0" },
      { versionNegotiation: { mode: { pin: "2026-07-28" } }, capabilities: { elicitation: { url: {} } } },
    );
    client.setRequestHandler("elicitation/create", async () => ({ action: "decline" as const }));
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${front.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${await front.key()}` } },
      }),
    );
    const before = (await upstreamCalls()).length;
    const result = await client.callTool({ name: "guarded__local__echo", arguments: { text: "no" } });
    expect(result.isError).toBe(true);
    expect(result.content).toEqual([{ type: "text", text: "The sign-in to guarded was declined." }]);
    expect((await upstreamCalls()).length).toBe(before);
    await client.close();
  });

  it("refuses a callback from another browser, an unknown state, and a link opened twice", async () => {
    const client = await connectClient(`${front.url}/mcp`, await front.key());
    const link = linkOf(await client.callTool({ name: "guarded__waygate_sign_in", arguments: {} }));
    // The victim's browser opens the link; the authorization server's answer goes to an attacker's browser instead.
    const opened = await fetch(link, { redirect: "manual" });
    expect(opened.headers.getSetCookie().join()).toContain("waygate_upstream_sign_in=");
    const authorizationUrl = new URL(String(opened.headers.get("location")));
    const state = String(authorizationUrl.searchParams.get("state"));
    const attacker = await fetch(`${frontUrl}/oauth/upstream/callback?state=${state}&code=stolen`);
    expect(attacker.status).toBe(403);
    expect(await attacker.text()).toContain("Finish the sign-in in the browser where you opened the link");
    const unknown = await fetch(`${frontUrl}/oauth/upstream/callback?state=nope&code=x`);
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain("Call the tool again for a new link");
    const again = await fetch(link, { redirect: "manual" });
    expect(again.status).toBe(410);
    const missing = await fetch(`${frontUrl}/oauth/upstream/start/unknown`, { redirect: "manual" });
    expect(missing.status).toBe(404);
    await client.close();
  });

  it("lets a user revoke its own token and an admin revoke anyone's; revoked calls never reach the upstream", async () => {
    const carol = await signedIn("carol");
    const dave = await signedIn("dave");
    await echo(carol.client, "ok");
    await echo(dave.client, "ok");
    const before = (await upstreamCalls()).length;

    const own = await del(`${front.url}/oauth/upstream/tokens/guarded`, {
      authorization: `Bearer ${carol.key}`,
    });
    expect(own.status).toBe(200);
    linkOf(await echo(carol.client, "after revoke"));
    const ownAgain = await del(`${front.url}/oauth/upstream/tokens/guarded`, {
      authorization: `Bearer ${carol.key}`,
    });
    expect(ownAgain.status).toBe(404);
    expect(ownAgain.body.error.message).toContain("nothing to revoke");

    const mine = await get(`${front.url}/oauth/upstream/tokens`, { authorization: `Bearer ${dave.key}` });
    expect(mine.body.tokens).toHaveLength(1);
    const daveId = mine.body.tokens[0].principal;
    const headers = await admin();
    const revoked = await del(`${front.url}/admin/upstream-tokens/guarded/${daveId}`, headers);
    expect(revoked.status).toBe(200);
    linkOf(await echo(dave.client, "after admin revoke"));
    expect((await upstreamCalls()).length).toBe(before);

    const unknownServer = await del(`${front.url}/admin/upstream-tokens/nope/${daveId}`, headers);
    expect(unknownServer.status).toBe(404);
    expect(unknownServer.body.error.message).toContain(
      "servers with them (upstreamOAuth.<name>.authorizationCode): guarded",
    );
    const badFilter = await get(`${front.url}/admin/upstream-tokens?server=`, headers);
    expect(badFilter.status).toBe(400);
    expect(badFilter.body.error.message).toContain("server must be given once");
    const notAdmin = await get(`${front.url}/admin/upstream-tokens`, { authorization: `Bearer ${dave.key}` });
    expect(notAdmin.status).toBe(403);
    await carol.client.close();
    await dave.client.close();
  });
});

/** A provider, the upstream it guards and a front gateway of its own, with these per-user settings. */
async function trio(settings: Record<string, unknown>) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const own = await startProvider({ codeClient: { redirectUri: `${url}/oauth/upstream/callback` } });
  const upstreamPort = await freePort();
  const guarded = await startGateway(
    { oauth: { issuer: own.issuer, publicUrl: `http://127.0.0.1:${upstreamPort}` } },
    { port: upstreamPort },
  );
  const gateway = await startGateway(
    {
      upstreams: { guarded: { url: `${guarded.url}/mcp` } },
      egress: { allow: ["127.0.0.1/32"] },
      upstreamOAuth: {
        guarded: {
          authorizationCode: {
            clientId: own.codeClient?.id ?? "",
            clientSecret: own.codeClient?.secret ?? "",
            scope: SCOPE,
            publicUrl: url,
            ...settings,
          },
        },
      },
    },
    { port },
  );
  const signIn = async (user: string) => {
    const client = await connectClient(`${gateway.url}/mcp`, await gateway.key());
    const link = linkOf(await client.callTool({ name: "guarded__waygate_sign_in", arguments: {} }), url);
    own.user = user;
    expect((await new Browser().open(link)).status).toBe(200);
    return client;
  };
  const close = async () => {
    await gateway.close();
    await guarded.close();
    await own.close();
  };
  return { own, guarded, gateway, signIn, close };
}

describe("per-user upstream tokens: refresh and connections", () => {
  it("refreshes a token about to expire before using it, and the call still acts as its user", async () => {
    // Every token is within `refreshBeforeExpirySeconds` of its expiry, so each call refreshes first.
    const { guarded, gateway, signIn, close } = await trio({ refreshBeforeExpirySeconds: 3_600 });
    try {
      const client = await signIn("erin");
      const [row] = await gateway.repos.upstreamUserTokens.list();
      const first = await gateway.repos.upstreamUserTokens.get("guarded", String(row?.principal));
      expect(first?.refresh_token).toEqual(expect.any(String));
      const result = await client.callTool({ name: "guarded__local__echo", arguments: { text: "fresh" } });
      expect(result.content).toEqual([{ type: "text", text: "fresh" }]);
      const second = await gateway.repos.upstreamUserTokens.get("guarded", String(row?.principal));
      expect(second?.access_token).not.toBe(first?.access_token);
      const calls = (await guarded.auditRows()).filter((entry) => entry.method === "tools/call");
      expect(JSON.parse(String(calls.at(-1)?.principal))).toMatchObject({ subject: "erin" });
      await client.close();
    } finally {
      await close();
    }
  }, 60_000);

  it("keeps at most maxConnections open (the least recently used closes) and closes idle ones", async () => {
    const { guarded, gateway, signIn, close } = await trio({ maxConnections: 1, idleCloseMs: 1_000 });
    const open = async () => {
      const diagnostics = await get(`${gateway.url}/diagnostics/connection`, {
        authorization: `Bearer ${await gateway.key(["admin"])}`,
      });
      const server = diagnostics.body.servers.find((entry: { name: string }) => entry.name === "guarded");
      return server.health.details.connections as number;
    };
    try {
      const ivan = await signIn("ivan");
      const judy = await signIn("judy");
      const subjects = async () =>
        (await guarded.auditRows())
          .filter((entry) => entry.method === "tools/call")
          .map((entry) => JSON.parse(String(entry.principal)).subject);
      for (const [client, text] of [
        [ivan, "ivan 1"],
        [judy, "judy 1"],
        [ivan, "ivan 2"],
      ] as const) {
        expect(
          (await client.callTool({ name: "guarded__local__echo", arguments: { text } })).content,
        ).toEqual([{ type: "text", text }]);
        expect(await open()).toBe(1);
      }
      expect((await subjects()).slice(-3)).toEqual(["ivan", "judy", "ivan"]);
      // Idle for idleCloseMs: the sweep closes it.
      for (let tries = 0; (await open()) > 0; tries++) {
        expect(tries).toBeLessThan(200);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(
        (await judy.callTool({ name: "guarded__local__echo", arguments: { text: "back" } })).content,
      ).toEqual([{ type: "text", text: "back" }]);
      await ivan.close();
      await judy.close();
    } finally {
      await close();
    }
  }, 60_000);
});

describe("principals", () => {
  it("is the key id for an API key, the subject (not the client) for an OAuth caller, and nobody with auth off", () => {
    expect(principalOf("key-123")).toBe("key-123");
    expect(principalOf(oauthKeyId("alice@example.com", "claude"))).toBe("oauth:alice%40example.com");
    expect(principalOf(oauthKeyId("alice@example.com", "cursor"))).toBe("oauth:alice%40example.com");
    expect(principalOf(null)).toBeUndefined();
  });
});

describe("per-user upstream token settings", () => {
  const base = { databaseUrl: ":memory:", secretKey: "a-secret-key-of-at-least-32-characters-0123" };
  const withOAuth = (oauth: Record<string, unknown>) =>
    parseGatewayOptions({
      ...base,
      upstreams: { crm: { url: "https://crm.example/mcp" } },
      upstreamOAuth: { crm: oauth },
    });

  it("accepts a pre-registered client or a Client ID Metadata Document, with the defaults of the pool", () => {
    const options = withOAuth({
      authorizationCode: {
        clientMetadataUrl: "https://gw.example/client.json",
        publicUrl: "https://gw.example",
      },
    });
    expect(options.upstreamOAuth.crm?.authorizationCode).toMatchObject({
      maxConnections: 100,
      idleCloseMs: 300_000,
      refreshBeforeExpirySeconds: 60,
    });
  });

  it.each([
    [{ authorizationCode: { clientId: "c" } }, "set `oauth.publicUrl` or this `publicUrl`"],
    [{ authorizationCode: { publicUrl: "https://gw.example" } }, "give exactly one of `clientId`"],
    [
      {
        authorizationCode: {
          clientId: "c",
          clientMetadataUrl: "https://gw.example/c.json",
          publicUrl: "https://gw.example",
        },
      },
      "give exactly one of `clientId`",
    ],
    [
      {
        authorizationCode: {
          clientMetadataUrl: "https://gw.example/c.json",
          clientSecret: "s",
          publicUrl: "https://gw.example",
        },
      },
      "`clientSecret` goes with a pre-registered `clientId`",
    ],
    [
      {
        authorizationCode: { clientId: "c", publicUrl: "https://gw.example" },
        clientCredentials: { clientId: "c", clientSecret: "s" },
      },
      "give exactly one of `clientCredentials`",
    ],
  ])("refuses %j naming the fix", (oauth, message) => {
    expect(() => withOAuth(oauth)).toThrow(message);
  });
});
