import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient, get, startGateway, type TestGateway } from "./helpers.js";
import { freePort } from "./support/builtin-sign-in.js";
import { startProvider, type TestProvider } from "./support/oidc-provider.js";

// The upstream is a second Waygate guarded by a real OpenID provider: it accepts only that provider's tokens for its
// own resource, and audits who called. The front gateway gets its tokens by client credentials.
let provider: TestProvider;
let upstream: TestGateway;

beforeAll(async () => {
  provider = await startProvider();
  const port = await freePort();
  upstream = await startGateway(
    { oauth: { issuer: provider.issuer, publicUrl: `http://127.0.0.1:${port}` } },
    { port },
  );
});

afterAll(async () => {
  await upstream?.close();
  await provider?.close();
});

async function frontWith(clientSecret: string) {
  return startGateway({
    upstreams: { guarded: { url: `${upstream.url}/mcp` } },
    // The upstream and its authorization server are on loopback, which egress refuses unless allowed.
    egress: { allow: ["127.0.0.1/32"] },
    upstreamOAuth: {
      guarded: {
        clientCredentials: {
          clientId: provider.clientId,
          clientSecret,
          scope: "waygate:tools:list waygate:tools:call",
          issuer: provider.issuer,
        },
      },
    },
  });
}

describe("upstream OAuth: a shared service token by client credentials", () => {
  it("gets a token for the upstream's resource from its authorization server and calls its tools", async () => {
    const front = await frontWith(provider.clientSecret);
    try {
      const client = await connectClient(`${front.url}/mcp`, await front.key());
      const tools = await client.listTools();
      expect(tools.tools.map((tool) => tool.name)).toContain("guarded__local__echo");
      const result = await client.callTool({
        name: "guarded__local__echo",
        arguments: { text: "via oauth" },
      });
      expect(result.content).toEqual([{ type: "text", text: "via oauth" }]);
      await client.close();
      // The upstream saw the gateway's own token: its subject is the gateway's client, not the caller's key.
      const rows = await upstream.auditRows();
      const call = rows.findLast((row) => row.method === "tools/call");
      expect(JSON.parse(String(call?.principal))).toEqual({
        subject: provider.clientId,
        clientId: provider.clientId,
      });
      // Neither the secret nor a token shows in the front gateway's status.
      const status = await get(`${front.url}/mcp/status`, {
        authorization: `Bearer ${await front.key(["admin"])}`,
      });
      expect(JSON.stringify(status.body)).not.toContain(provider.clientSecret);
      expect(JSON.stringify(status.body)).not.toMatch(/eyJ[\w-]+\.eyJ/);
    } finally {
      await front.close();
    }
  });

  it("with a wrong client secret: the upstream is failed with the reason, its calls get an error, and it sees none", async () => {
    const before = (await upstream.auditRows()).filter((row) => row.method === "tools/call").length;
    const front = await frontWith("wrong-secret-0123456789");
    try {
      const status = await get(`${front.url}/mcp/status`, {
        authorization: `Bearer ${await front.key(["admin"])}`,
      });
      const guarded = JSON.stringify(status.body);
      const server = (
        status.body.servers as { name: string; state: string; lastError?: { message: string } }[]
      ).find((entry) => entry.name === "guarded");
      expect(server?.state).toBe("failed");
      // The authorization server's own answer, not an opaque "[object Response]".
      expect(server?.lastError?.message).toContain("client authentication failed");
      expect(guarded).not.toContain("wrong-secret-0123456789");
      const client = await connectClient(`${front.url}/mcp`, await front.key());
      const tools = await client.listTools();
      expect(tools.tools.map((tool) => tool.name)).not.toContain("guarded__local__echo");
      await client.close();
      expect((await upstream.auditRows()).filter((row) => row.method === "tools/call").length).toBe(before);
    } finally {
      await front.close();
    }
  });
});
