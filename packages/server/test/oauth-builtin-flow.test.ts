import { createServer } from "node:net";
import {
  Client,
  type OAuthClientProvider,
  StreamableHTTPClientTransport,
  UnauthorizedError,
} from "@modelcontextprotocol/client";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type TestGateway } from "./helpers.js";
import { signInWithKey } from "./support/builtin-sign-in.js";

type Provider = OAuthClientProvider;
type Tokens = Parameters<Provider["saveTokens"]>[0];
type ClientInfo = Parameters<NonNullable<Provider["saveClientInformation"]>>[0];

/** The SDK v2 client's OAuth provider, kept in memory; it remembers where it was sent to sign in. */
export class MemoryAuthProvider implements OAuthClientProvider {
  readonly redirectUrl = "http://127.0.0.1:9/callback";
  client: ClientInfo | undefined;
  saved: Tokens | undefined;
  verifier = "";
  authorizationUrl: URL | undefined;
  get clientMetadata() {
    return {
      client_name: "waygate built-in flow test",
      redirect_uris: [this.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  clientInformation() {
    return this.client;
  }
  saveClientInformation(info: ClientInfo) {
    this.client = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: Tokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}

/** A port free now, so the gateway's public URL (its resource identifiers) can be its real loopback URL. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

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
