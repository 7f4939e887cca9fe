import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir, writeJson } from "./helpers.js";
import { runCli } from "./run-cli.js";

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await dir.cleanup();
});

const waygate = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: dir.path, env });

describe("waygate migrate", () => {
  it("applies the migrations once, then reports the database up to date", async () => {
    const first = await waygate(["migrate", "--json"]);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({
      database: "file:./data/waygate.db",
      applied: ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"],
      sealedServers: 0,
    });
    const again = await waygate(["migrate"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("up to date");
  });

  it("fails with a message naming the folder when the database cannot be created", async () => {
    await writeJson(dir.path, "blocker", "a file where a folder should be");
    const run = await waygate(["migrate"], { DATABASE_URL: "file:./blocker/waygate.db" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("blocker");
  });
});

describe("waygate keys", () => {
  it("creates a key shown once, lists it without its value, and revokes it", async () => {
    const created = await waygate(["keys", "create", "--name", "ci", "--scopes", "tools:call", "--json"]);
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; key: string; scopes: string[] };
    expect(key.key).toMatch(/^wg_[a-z0-9]{12}_/);
    expect(key.scopes).toEqual(["tools:call"]);

    const listed = await waygate(["keys", "list"]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/ID\s+NAME\s+PREFIX/);
    expect(listed.stdout).toContain(key.id);
    expect(listed.stdout).toContain("active");
    expect(listed.stdout).not.toContain(key.key);

    const revoked = await waygate(["keys", "revoke", key.id]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`revoked key ${key.id}`);
    expect(revoked.stdout).toContain("running gateways refuse it within 1 s");
    const after = JSON.parse((await waygate(["keys", "list", "--json"])).stdout) as { status: string }[];
    expect(after.map((row) => row.status)).toEqual(["revoked"]);
  });

  it("prints a hint instead of an empty table when there are no keys", async () => {
    const run = await waygate(["keys", "list"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("no API keys yet");
  });

  it("exits 4 when revoking a key that does not exist", async () => {
    const run = await waygate(["keys", "revoke", "00000000-0000-0000-0000-000000000000"]);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain("no API key with id");
  });

  it("applies the key policy of the config file, refusing a longer lifetime", async () => {
    await writeJson(dir.path, "waygate.json", {
      keyPolicy: { maxExpiresInDays: 30, defaultScopes: ["tools:list"] },
    });
    const env = { WAYGATE_CONFIG: "waygate.json" };
    const refused = await waygate(["keys", "create", "--name", "long", "--expires-in", "90"], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("at most 30 days");
    const created = await waygate(["keys", "create", "--name", "short", "--expires-in", "7", "--json"], env);
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout) as { scopes: string[]; expiresAt: string };
    expect(key.scopes).toEqual(["tools:list"]);
    expect(Date.parse(key.expiresAt)).toBeGreaterThan(Date.now() + 6 * 86_400_000);
  });

  it("refuses a key without --expires-in when the key policy sets maxExpiresInDays, naming the flag", async () => {
    await writeJson(dir.path, "waygate.json", { keyPolicy: { maxExpiresInDays: 30 } });
    const refused = await waygate(["keys", "create", "--name", "forever"], {
      WAYGATE_CONFIG: "waygate.json",
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      "the key policy requires an expiry of at most 30 days: pass --expires-in 30 or less",
    );
  });

  it("rejects the wildcard scope * like any other unknown scope", async () => {
    const run = await waygate(["keys", "create", "--name", "x", "--scopes", "*"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown scope(s) "*": use tools:list, tools:call, admin, metrics:read');
  });

  it("rejects a scope the gateway does not know, listing the ones it does", async () => {
    const run = await waygate(["keys", "create", "--name", "x", "--scopes", "tools:call,tool:list"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'unknown scope(s) "tool:list": use tools:list, tools:call, admin, metrics:read',
    );
    expect((await waygate(["keys", "list", "--json"])).stdout.trim()).toBe("[]");
  });

  it("rejects an empty key name with the field named", async () => {
    const run = await waygate(["keys", "create", "--name", "  "]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("name");
  });
});
