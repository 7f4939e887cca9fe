import { join } from "node:path";
import { createRepositories, openDatabase } from "@waygate/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "./helpers.js";
import { runCli } from "./run-cli.js";

const SECRET = "cli-oauth-grants-secret-0123456789abcdef-01";
const REFRESH = "refresh-token-that-must-not-print-0123456789";
let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await dir.cleanup();
});

const waygate = (args: string[]) => runCli(args, { cwd: dir.path, env: { WAYGATE_SECRET_KEY: SECRET } });

/** Grants as the built-in authorization server stores them: two of key-a, one of key-b, and a refresh token. */
async function granted(): Promise<void> {
  expect((await waygate(["migrate"])).code).toBe(0);
  const db = await openDatabase({ url: `file:${join(dir.path, "data", "waygate.db")}` });
  const { oauthStore } = createRepositories(db, { secretKey: SECRET });
  const now = Math.floor(Date.now() / 1000);
  for (const [jti, accountId, clientId, iat] of [
    ["grant-1", "key-a", "client-x", now - 30],
    ["grant-2", "key-a", "client-y", now - 20],
    ["grant-3", "key-b", "client-x", now - 10],
  ] as const) {
    await oauthStore.upsert(
      "Grant",
      jti,
      {
        jti,
        accountId,
        clientId,
        iat,
        exp: iat + 3600,
        resources: { "https://gw/mcp": "waygate:tools:call" },
      },
      3600,
    );
  }
  await oauthStore.upsert("RefreshToken", REFRESH, { jti: REFRESH, grantId: "grant-1" }, 3600);
  db.close();
}

describe("waygate oauth grants", () => {
  it("lists grants by key or client, newest first, without tokens", async () => {
    await granted();
    const list = await waygate(["oauth", "grants", "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/grant-3\s+key-b\s+client-x\s+waygate:tools:call/);
    expect(list.stdout).not.toContain(REFRESH);
    const byKey = await waygate(["oauth", "grants", "list", "--key", "key-a", "--json"]);
    expect(JSON.parse(byKey.stdout).map((grant: { grantId: string }) => grant.grantId)).toEqual([
      "grant-2",
      "grant-1",
    ]);
    const byClient = await waygate(["oauth", "grants", "list", "--client", "client-y", "--json"]);
    expect(JSON.parse(byClient.stdout)).toHaveLength(1);
  });

  it("revokes one grant or every grant of a key, and names the fix for a wrong one", async () => {
    await granted();
    const one = await waygate(["oauth", "grants", "revoke", "grant-3"]);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain("revoked 1 grant;");
    const all = await waygate(["oauth", "grants", "revoke", "--key", "key-a", "--json"]);
    expect(JSON.parse(all.stdout)).toEqual({ revoked: 2, key: "key-a" });
    expect((await waygate(["oauth", "grants", "list"])).stdout).toContain("no grants");
    const missing = await waygate(["oauth", "grants", "revoke", "grant-3"]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('no live grant "grant-3": see `waygate oauth grants list`');
    const both = await waygate(["oauth", "grants", "revoke", "grant-1", "--key", "key-a"]);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain("give a grant id, or --key <id>");
  });
});
