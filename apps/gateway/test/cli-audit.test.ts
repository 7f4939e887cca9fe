import { chmod, mkdir, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createAuditWriter, createDatabase, openDatabase } from "@waygate/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseSince } from "../src/cli/commands/audit.js";
import { tempDir } from "./helpers.js";
import { runCli } from "./run-cli.js";

const SECRET = "cli-audit-secret-0123456789abcdef-0123456789";
let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await dir.cleanup();
});

const waygate = (args: string[]) => runCli(args, { cwd: dir.path, env: { WAYGATE_SECRET_KEY: SECRET } });
const dbUrl = () => `file:${join(dir.path, "data", "waygate.db")}`;
const T0 = Date.parse("2026-11-01T00:00:00Z");

/** Writes `count` audit rows one day apart, as a gateway with the same secret would. */
async function writeRows(count: number): Promise<void> {
  expect((await waygate(["migrate"])).code).toBe(0);
  const db = await openDatabase({ url: dbUrl() });
  const writer = createAuditWriter(db, { secretKey: SECRET });
  for (let n = 1; n <= count; n++) {
    await writer.record({
      requestId: `r${n}`,
      keyId: null,
      server: "fs",
      tool: "read",
      outcome: "ok",
      durationMs: 1,
      arguments: { n },
      at: new Date(T0 + n * 86_400_000),
    });
  }
  await writer.close();
  db.close();
}

async function tamper(sql: string): Promise<void> {
  const db = await openDatabase({ url: dbUrl() });
  await db.client.execute(sql);
  db.close();
}

describe("waygate audit verify", () => {
  it("reports an intact chain with the number of rows and the head", async () => {
    await writeRows(5);
    const run = await waygate(["audit", "verify"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("audit chain intact: 5 row(s) verified, head at row 5\n");
    const json = JSON.parse((await waygate(["audit", "verify", "--json"])).stdout);
    expect(json).toMatchObject({ ok: true, verified: 5, head: { id: 5 } });
  });

  it("exits 6 and names the edited row", async () => {
    await writeRows(5);
    await tamper("UPDATE command_history SET outcome = 'error' WHERE id = 3");
    const run = await waygate(["audit", "verify"]);
    expect(run.code).toBe(6);
    expect(run.stderr).toContain("audit chain broken at row 3 (edited): Row 3 was edited");
  });

  it("exits 6 and names the gap left by a deleted row", async () => {
    await writeRows(5);
    await tamper("DELETE FROM command_history WHERE id = 2");
    const run = await waygate(["audit", "verify"]);
    expect(run.code).toBe(6);
    expect(run.stderr).toContain("row 3 (deleted): Rows 2 to 2 are missing");
  });

  it("says which migration adds the chain on a database that lacks it, and does not migrate it", async () => {
    await mkdir(join(dir.path, "data"));
    const db = await createDatabase({ url: dbUrl() });
    await db.client.execute(
      "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at INTEGER)",
    );
    await db.client.execute("INSERT INTO schema_migrations VALUES (1, 'init', 0)");
    db.close();
    const run = await waygate(["audit", "verify"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("needs migration 3 (audit-chain)");
    expect(run.stderr).toContain("waygate migrate");
    const after = await createDatabase({ url: dbUrl() });
    const versions = await after.client.execute("SELECT version FROM schema_migrations");
    after.close();
    expect(versions.rows.map((row) => row.version)).toEqual([1]);
  });
});

describe("waygate audit export", () => {
  it("prints every row as a JSON line with its chain value, oldest first, and --since keeps the newer ones", async () => {
    await writeRows(4);
    const run = await waygate(["audit", "export"]);
    expect(run.code).toBe(0);
    const rows = run.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3, 4]);
    expect(rows[0]).toMatchObject({ requestId: "r1", method: "tools/call", arguments: '{"n":1}' });
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.chain))).toBe(true);

    const since = await waygate(["audit", "export", "--since", new Date(T0 + 3 * 86_400_000).toISOString()]);
    expect(
      since.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line).id),
    ).toEqual([3, 4]);
  });

  it("writes to --out, and fails before writing anything when the path cannot be written", async () => {
    await writeRows(2);
    const out = join(dir.path, "audit.jsonl");
    const run = await waygate(["audit", "export", "--out", out]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`exported 2 audit row(s) to ${out}`);
    expect((await readFile(out, "utf8")).trim().split("\n")).toHaveLength(2);

    const locked = join(dir.path, "locked");
    await mkdir(locked);
    await chmod(locked, 0o500);
    // root ignores permission bits, so a path under a file stands in for an unwritable one there.
    const target = process.getuid?.() === 0 ? join(out, "nested.jsonl") : join(locked, "audit.jsonl");
    const refused = await waygate(["audit", "export", "--out", target]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`cannot write the export to ${target}`);
    expect(await readdir(locked)).toEqual([]);
  });

  it("refuses a --since that is neither a date nor an age, and a format other than jsonl", async () => {
    const bad = await waygate(["audit", "export", "--since", "yesterday"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("expected an ISO date");
    const format = await waygate(["audit", "export", "--format", "csv"]);
    expect(format.code).toBe(2);
    expect(format.stderr).toContain("Allowed choices are jsonl");
  });

  it("reads ages in minutes, hours and days", () => {
    const now = Date.parse("2026-12-05T00:00:00Z");
    expect(parseSince("30m", now).toISOString()).toBe("2026-12-04T23:30:00.000Z");
    expect(parseSince("12h", now).toISOString()).toBe("2026-12-04T12:00:00.000Z");
    expect(parseSince("7d", now).toISOString()).toBe("2026-11-28T00:00:00.000Z");
  });
});
