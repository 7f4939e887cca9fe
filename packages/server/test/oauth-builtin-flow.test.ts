import { Client, StreamableHTTPClientTransport, UnauthorizedError } from "@modelcontextprotocol/client";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type TestGateway } from "./helpers.js";
import { freePort, MemoryAuthProvider, signInWithKey } from "./support/builtin-sign-in.js";

let gw: TestGateway;

beforeAll(async () => {
  const port = await freePort();
  gw = await startGateway({ oauth: { builtin: {}, publicUrl: `http://127.0.0.1:${port}` } }, { port });
});

afterAll(async () => {
  await gw?.close();
});

describe("the SDK v2 client's OAuth against the built-in authorization server", () => {
  it("registers, signs in with an API key (code + PKCE), and calls a tool as that key", async () => {
    const apiKey = await gw.key(["tools:list", "tools:call"]);
    const auth = new MemoryAuthProvider();
    const url = new URL(`${gw.url}/mcp`);
    const first = new Client({ name: "builtin-flow", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(url, { authProvider: auth });
    await expect(first.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);

    const sent = auth.authorizationUrl!;
    expect(sent.href.startsWith(`${gw.url}/oauth/`)).toBe(true);
    expect(sent.searchParams.get("resource")).toBe(`${gw.url}/mcp`);
    expect(sent.searchParams.get("code_challenge_method")).toBe("S256");
    expect(auth.client?.client_id).toBeTruthy();

    const callback = await signInWithKey(sent, apiKey, auth.redirectUrl);
    expect(callback.get("iss")).toBe(`${gw.url}/oauth`);
    await transport.finishAuth(callback);
    const claims = decodeJwt(auth.saved!.access_token);
    const [record] = (await gw.repos.apiKeys.list()).filter((key) => apiKey.startsWith(key.prefix));
    expect(claims).toMatchObject({ sub: record?.id, aud: `${gw.url}/mcp`, iss: `${gw.url}/oauth` });
    expect(auth.saved?.refresh_token).toBeTruthy();

    const client = new Client({ name: "builtin-flow", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(url, { authProvider: auth }));
    const result = await client.callTool({ name: "local__echo", arguments: { text: "signed in" } });
    expect(result.content).toEqual([{ type: "text", text: "signed in" }]);
    await client.close();

    const rows = await gw.auditRows();
    const call = rows.findLast((row) => row.method === "tools/call");
    expect(call?.key_id).toBe(record?.id);
  });
});
