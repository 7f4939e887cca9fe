import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient, get, startGateway, type TestGateway } from "./helpers.js";
import { freePort, obtainTokens, tokenRequest } from "./support/builtin-sign-in.js";

// A gateway with the built-in authorization server; people sign in with their keys through real clients.
let gw: TestGateway;
let base: string;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  gw = await startGateway({ oauth: { builtin: {}, publicUrl: base } }, { port });
});

afterAll(async () => {
  await gw?.close();
});

const admin = async () => ({ authorization: `Bearer ${await gw.key(["admin"])}` });
async function keyIdOf(plaintext: string): Promise<string> {
  const key = (await gw.repos.apiKeys.list()).find((record) => plaintext.startsWith(record.prefix));
  if (!key) throw new Error("no such key");
  return key.id;
}
async function del(url: string, headers: Record<string, string>) {
  const response = await fetch(url, { method: "DELETE", headers });
  return {
    status: response.status,
    body: (await response.json()) as { error: { message: string } } & Record<string, unknown>,
  };
}
/** Waits until the token is refused: a replica's grant cache holds a revocation back for about a second. */
async function refusedSoon(accessToken: string): Promise<void> {
  for (let attempt = 0; await works(accessToken); attempt++) {
    expect(attempt, "the token still works after the revocation").toBeLessThan(40);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
/** Whether the access token still lists tools. */
async function works(accessToken: string): Promise<boolean> {
  try {
    const client = await connectClient(`${base}/mcp`, accessToken);
    await client.listTools();
    await client.close();
    return true;
  } catch {
    return false;
  }
}

describe("admin API for the built-in authorization server's grants", () => {
  it("lists grants by key and by client, without tokens, and revokes one grant: its tokens stop", async () => {
    const aliceKey = await gw.key();
    const alice = await obtainTokens(base, aliceKey);
    const aliceAgain = await obtainTokens(base, aliceKey);
    const bob = await obtainTokens(base, await gw.key());
    const headers = await admin();

    const all = await get(`${base}/admin/oauth/grants`, headers);
    expect(all.status).toBe(200);
    expect(all.body.grants.length).toBeGreaterThanOrEqual(3);
    const aliceId = await keyIdOf(aliceKey);
    const byKey = await get(`${base}/admin/oauth/grants?key=${aliceId}`, headers);
    expect(byKey.body.grants.map((grant: { clientId: string }) => grant.clientId).sort()).toEqual(
      [alice.clientId, aliceAgain.clientId].sort(),
    );
    expect(byKey.body.grants[0]).toMatchObject({
      accountId: aliceId,
      clientName: "waygate test client",
      scopes: { [`${base}/mcp`]: expect.stringContaining("waygate:tools:call") },
    });
    const byClient = await get(
      `${base}/admin/oauth/grants?client=${encodeURIComponent(bob.clientId)}`,
      headers,
    );
    expect(byClient.body.grants).toHaveLength(1);
    for (const secret of [alice.accessToken, alice.refreshToken, bob.accessToken, bob.refreshToken]) {
      expect(JSON.stringify(all.body)).not.toContain(secret);
    }

    const one = byKey.body.grants.find((grant: { clientId: string }) => grant.clientId === alice.clientId);
    expect(await works(alice.accessToken)).toBe(true);
    const revoked = await del(`${base}/admin/oauth/grants/${one.grantId}`, headers);
    expect(revoked.status).toBe(200);
    await refusedSoon(alice.accessToken);
    const refresh = await tokenRequest(base, {
      grant_type: "refresh_token",
      refresh_token: alice.refreshToken,
      client_id: alice.clientId,
    });
    expect(refresh.body.error).toBe("invalid_grant");
    // The key's other grant, and another key's, keep working.
    expect(await works(aliceAgain.accessToken)).toBe(true);
    expect(await works(bob.accessToken)).toBe(true);
  });

  it("revokes every grant of a key at once", async () => {
    const key = await gw.key();
    const first = await obtainTokens(base, key);
    const second = await obtainTokens(base, key);
    const headers = await admin();
    const revoked = await del(`${base}/admin/oauth/grants?key=${await keyIdOf(key)}`, headers);
    expect(revoked).toEqual({ status: 200, body: { revoked: 2, key: await keyIdOf(key) } });
    await refusedSoon(first.accessToken);
    await refusedSoon(second.accessToken);
    const left = await get(`${base}/admin/oauth/grants?key=${await keyIdOf(key)}`, headers);
    expect(left.body.grants).toEqual([]);
  });

  it("answers bad input with 400 or 404 naming the fix, and refuses a key without admin", async () => {
    const headers = await admin();
    const unknown = await del(`${base}/admin/oauth/grants/no-such-grant`, headers);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain("see GET /admin/oauth/grants");
    const nobody = await del(`${base}/admin/oauth/grants`, headers);
    expect(nobody.status).toBe(400);
    expect(nobody.body.error.message).toContain("DELETE /admin/oauth/grants?key=<key id>");
    const empty = await get(`${base}/admin/oauth/grants?key=`, headers);
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toContain("key must be given once");
    const twice = await get(`${base}/admin/oauth/grants?client=a&client=b`, headers);
    expect(twice.status).toBe(400);
    const notAdmin = await get(`${base}/admin/oauth/grants`, { authorization: `Bearer ${await gw.key()}` });
    expect(notAdmin.status).toBe(403);
  });

  it("says the built-in server is off on a gateway without it", async () => {
    const plain = await startGateway();
    try {
      const res = await get(`${plain.url}/admin/oauth/grants`, {
        authorization: `Bearer ${await plain.key(["admin"])}`,
      });
      expect(res.status).toBe(404);
      expect(res.body.error.message).toContain("grants exist only with `gateway.oauth.builtin`");
    } finally {
      await plain.close();
    }
  });
});
