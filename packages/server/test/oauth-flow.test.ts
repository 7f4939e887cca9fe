import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type TestGateway } from "./helpers.js";
import { freePort, MemoryAuthProvider } from "./support/builtin-sign-in.js";
import { authorize, startProvider, TEST_USER, type TestProvider } from "./support/oidc-provider.js";

let provider: TestProvider;
let gw: TestGateway;

beforeAll(async () => {
  provider = await startProvider();
  const port = await freePort();
  gw = await startGateway(
    { oauth: { issuer: provider.issuer, publicUrl: `http://127.0.0.1:${port}` } },
    { port },
  );
});

afterAll(async () => {
  await gw?.close();
  await provider?.close();
});

describe("the MCP SDK client's OAuth against the gateway and a real provider", () => {
  it("discovers the issuer from the 401, registers, signs in with code + PKCE, and then calls a tool", async () => {
    const auth = new MemoryAuthProvider();
    const url = new URL(`${gw.url}/mcp`);
    const first = new Client({ name: "oauth-flow", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(url, { authProvider: auth });
    await expect(first.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);

    // The client was sent to the provider, asking for a token for the gateway's /mcp with PKCE.
    const sent = auth.authorizationUrl!;
    expect(sent.origin).toBe(provider.issuer);
    expect(sent.searchParams.get("resource")).toBe(`${gw.url}/mcp`);
    expect(sent.searchParams.get("code_challenge_method")).toBe("S256");
    expect(auth.client?.client_id).toBeTruthy();

    const code = await authorize(sent, auth.redirectUrl);
    await transport.finishAuth(code);
    const claims = decodeJwt(auth.saved!.access_token);
    expect(claims).toMatchObject({ sub: TEST_USER, aud: `${gw.url}/mcp`, iss: provider.issuer });

    const client = new Client({ name: "oauth-flow", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(url, { authProvider: auth }));
    const result = await client.callTool({ name: "local__echo", arguments: { text: "signed in" } });
    expect(result.content).toEqual([{ type: "text", text: "signed in" }]);
    await client.close();

    const rows = await gw.auditRows();
    const call = rows.findLast((row) => row.method === "tools/call");
    expect(JSON.parse(String(call?.principal))).toEqual({
      subject: TEST_USER,
      clientId: auth.client?.client_id,
    });
  });

  it("gets no token when the sign-in is abandoned: the client stays unauthorised", async () => {
    const auth = new MemoryAuthProvider();
    const transport = new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { authProvider: auth });
    await expect(new Client({ name: "x", version: "1" }).connect(transport)).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    await expect(transport.finishAuth("not-a-code")).rejects.toThrow();
    expect(auth.saved).toBeUndefined();
  });
});
