import { join } from "node:path";
import { createRepositories, openDatabase } from "@waygate/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "./helpers.js";
import { runCli } from "./run-cli.js";

const SECRET = "cli-upstream-tokens-secret-0123456789abcdef";
const ACCESS = "upstream-access-token-that-must-not-print-0123";
let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await dir.cleanup();
});

const waygate = (args: string[]) => runCli(args, { cwd: dir.path, env: { WAYGATE_SECRET_KEY: SECRET } });

/** Two principals signed in to `crm`, one of them to `mail` too, as a gateway would have stored them. */
async function stored(): Promise<void> {
  expect((await waygate(["migrate"])).code).toBe(0);
  const db = await openDatabase({ url: `file:${join(dir.path, "data", "waygate.db")}` });
  const { upstreamUserTokens } = createRepositories(db, { secretKey: SECRET });
  const expires = new Date("2030-01-01T00:00:00.000Z");
  await upstreamUserTokens.save("crm", "key-a", { access_token: ACCESS }, expires);
  await upstreamUserTokens.save("crm", "oauth:bob", { access_token: ACCESS }, null);
  await upstreamUserTokens.save("mail", "key-a", { access_token: ACCESS }, null);
  db.close();
}

describe("waygate upstream-tokens", () => {
  it("lists stored tokens by server and principal without their values, filtered by either", async () => {
    await stored();
    const list = await waygate(["upstream-tokens", "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/crm\s+key-a\s+2030-01-01T00:00:00.000Z/);
    expect(list.stdout).toMatch(/crm\s+oauth:bob\s+unknown/);
    expect(list.stdout).not.toContain(ACCESS);
    const json = await waygate(["upstream-tokens", "list", "--principal", "key-a", "--json"]);
    expect(JSON.parse(json.stdout).map((row: { server: string }) => row.server)).toEqual(["crm", "mail"]);
  });

  it("revokes one server's token, or every token of a principal, and names the fix for a wrong one", async () => {
    await stored();
    const one = await waygate(["upstream-tokens", "revoke", "oauth:bob", "--server", "crm"]);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain("revoked 1 token of oauth:bob");
    const all = await waygate(["upstream-tokens", "revoke", "key-a", "--all", "--json"]);
    expect(JSON.parse(all.stdout)).toEqual({ principal: "key-a", revoked: 2 });
    const left = await waygate(["upstream-tokens", "list"]);
    expect(left.stdout).toContain("no per-user upstream tokens stored");

    const missing = await waygate(["upstream-tokens", "revoke", "key-a", "--server", "crm"]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(
      'no stored token of "key-a" at "crm": see `waygate upstream-tokens list`',
    );
    const neither = await waygate(["upstream-tokens", "revoke", "key-a"]);
    expect(neither.code).not.toBe(0);
    expect(neither.stderr).toContain("give either --server <name> or --all");
  });
});
