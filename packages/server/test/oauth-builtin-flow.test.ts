import { Client, StreamableHTTPClientTransport, UnauthorizedError } from "@modelcontextprotocol/client";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type TestGateway } from "./helpers.js";
import {
  authorizationUrl,
  documentServer,
  freePort,
  MemoryAuthProvider,
  openSignIn,
  REDIRECT,
  signInWithKey,
  tokenRequest,
} from "./support/builtin-sign-in.js";

let gw: TestGateway;

beforeAll(async () => {
  const port = await freePort();
  gw = await startGateway(
    {
      oauth: { builtin: {}, publicUrl: `http://127.0.0.1:${port}` },
      // Client metadata documents are fetched through the egress policy; the test's documents are on loopback.
      egress: { allow: ["127.0.0.1/32"] },
    },
    { port },
  );
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
    // The row names the key (its foreign key) and the client the person signed in for.
    expect(call?.key_id).toBe(record?.id);
    expect(JSON.parse(String(call?.principal))).toEqual({
      subject: record?.id,
      clientId: auth.client?.client_id,
    });
  });
});

describe("Client ID Metadata Documents", () => {
  // The SDK client accepts only an https clientMetadataUrl, and these tests have no certificate on loopback: the
  // client side is scripted here with the same requests the SDK makes (authorize with PKCE, then the token request).
  it("accepts a metadata document URL as client id, without registration, and names its host on the page", async () => {
    const apiKey = await gw.key(["tools:list", "tools:call"]);
    const docs = await documentServer((url) => ({
      client_id: url,
      client_name: "Metadata Client",
      redirect_uris: [REDIRECT],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    }));
    try {
      const metadata = (await (
        await fetch(`${gw.url}/.well-known/oauth-authorization-server/oauth`)
      ).json()) as {
        client_id_metadata_document_supported?: boolean;
      };
      expect(metadata.client_id_metadata_document_supported).toBe(true);
      const { url, verifier } = await authorizationUrl(gw.url, docs.url);
      const page = await openSignIn(url);
      expect(page.html).toContain("Metadata Client (127.0.0.1:");
      const callback = await signInWithKey(url, apiKey, REDIRECT);
      const tokens = await tokenRequest(gw.url, {
        grant_type: "authorization_code",
        code: callback.get("code") ?? "",
        redirect_uri: REDIRECT,
        code_verifier: verifier,
        client_id: docs.url,
        resource: `${gw.url}/mcp`,
      });
      expect(tokens.status).toBe(200);
      expect(decodeJwt(tokens.body.access_token ?? "").client_id).toBe(docs.url);
      const client = new Client({ name: "cimd", version: "1" });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${tokens.body.access_token}` } },
        }),
      );
      expect((await client.callTool({ name: "local__echo", arguments: { text: "cimd" } })).content).toEqual([
        { type: "text", text: "cimd" },
      ]);
      await client.close();
    } finally {
      await docs.close();
    }
  });

  it.each([
    ["names another client_id", (url: string) => ({ client_id: `${url}x`, redirect_uris: [REDIRECT] })],
    [
      "holds a client secret",
      (url: string) => ({ client_id: url, redirect_uris: [REDIRECT], client_secret: "s" }),
    ],
    ["has no redirect URI", (url: string) => ({ client_id: url })],
  ])("refuses a document that %s: no sign-in page, no redirect", async (_name, document) => {
    const docs = await documentServer(document);
    try {
      const { url } = await authorizationUrl(gw.url, docs.url);
      const res = await fetch(url, { redirect: "manual" });
      expect(res.status).toBe(400);
      expect(res.headers.get("location")).toBeNull();
      expect(await res.text()).toContain("invalid_client");
    } finally {
      await docs.close();
    }
  });
});
