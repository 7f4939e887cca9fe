import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createDatabase,
  LATEST_SCHEMA_VERSION,
  MigrationError,
  migrate,
  openDatabase,
  SchemaTooNewError,
} from "../src/index.js";
import { runMigrations } from "../src/migrate.js";
import { migrations } from "../src/migrations/index.js";
import { DIST_ENTRY, useTempDirs } from "./helpers.js";

const temp = useTempDirs();

/** A child process that opens and migrates `url` when told to, then prints what a second migrate() did. */
function startWaitingMigrator(url: string) {
  const script = `import { openDatabase, migrate } from ${JSON.stringify(DIST_ENTRY)};
    process.stdout.write("ready\\n");
    process.stdin.once("data", async () => {
      const db = await openDatabase({ url: ${JSON.stringify(url)} });
      process.stdout.write(JSON.stringify(await migrate(db)));
      db.close();
      process.stdin.destroy();
    });`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const ready = new Promise<void>((resolve) => {
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      if (stdout.startsWith("ready\n")) {
        stdout = stdout.slice("ready\n".length);
        resolve();
      }
    });
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout, stderr })),
  );
  return { ready, done, go: () => child.stdin.write("go\n"), kill: () => child.kill() };
}

const TABLES = [
  "api_keys",
  "command_history",
  "config",
  "definition_pins",
  "mcp_servers",
  "metrics",
  "plugin_instances",
  "oauth_store",
  "plugins",
  "system_events",
  "upstream_eras",
  "upstream_user_tokens",
];

async function tableNames(db: Awaited<ReturnType<typeof createDatabase>>): Promise<string[]> {
  const rows = await db.client.execute(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
  );
  return rows.rows.map((row) => String(row.name));
}

describe("migrate", () => {
  it("creates the tables and records the version in schema_migrations", async () => {
    const db = temp.track(await createDatabase({ url: `file:${join(temp.dir(), "m.db")}` }));
    const result = await migrate(db);
    expect(result).toEqual({ applied: migrations.map((m) => m.version), version: LATEST_SCHEMA_VERSION });
    expect(await tableNames(db)).toEqual([...TABLES, "schema_migrations"].sort());
    const recorded = await db.client.execute("SELECT version, name FROM schema_migrations");
    expect(recorded.rows.map((row) => [row.version, row.name])).toEqual([
      [1, "init"],
      [2, "audit-method"],
      [3, "audit-chain"],
      [4, "definition-pins"],
      [5, "audit-principal"],
      [6, "upstream-secrets"],
      [7, "upstream-eras"],
      [8, "live-registry"],
      [9, "oauth-store"],
      [10, "audit-write-indexes"],
      [11, "upstream-user-tokens"],
    ]);
  });

  it("creates the indexes the history queries use", async () => {
    const db = await temp.db();
    const plan = await db.client.execute(
      "EXPLAIN QUERY PLAN SELECT * FROM command_history WHERE key_id = 'k' AND at >= 0 ORDER BY at DESC LIMIT 10",
    );
    expect(plan.rows.map((row) => String(row.detail)).join(" ")).toMatch(
      /USING INDEX command_history_key_at/,
    );
    const keyPlan = await db.client.execute(
      "EXPLAIN QUERY PLAN SELECT * FROM api_keys WHERE prefix = 'wg_x'",
    );
    expect(keyPlan.rows.map((row) => String(row.detail)).join(" ")).toMatch(/USING INDEX/);
  });

  it("is a no-op when run again", async () => {
    const db = await temp.db();
    expect(await migrate(db)).toEqual({ applied: [], version: LATEST_SCHEMA_VERSION });
    const count = await db.client.execute("SELECT count(*) AS n FROM schema_migrations");
    expect(count.rows[0]?.n).toBe(migrations.length);
  });

  it("applies each migration once when several processes migrate the same new file at the same moment", async () => {
    const path = join(temp.dir(), "race.db");
    // Each child loads the package, says "ready" and waits; all are released together so their
    // openDatabase + migrate calls overlap instead of being staggered by process start-up.
    const children = Array.from({ length: 4 }, () => startWaitingMigrator(`file:${path}`));
    try {
      await Promise.all(children.map((child) => child.ready));
      for (const child of children) child.go();
      const runs = await Promise.all(children.map((child) => child.done));
      for (const run of runs) {
        expect(run.stderr).toBe("");
        expect(run.code).toBe(0);
        expect(JSON.parse(run.stdout)).toEqual({ applied: [], version: LATEST_SCHEMA_VERSION });
      }
    } finally {
      for (const child of children) child.kill();
    }
    const db = temp.track(await createDatabase({ url: `file:${path}` }));
    const recorded = await db.client.execute("SELECT version FROM schema_migrations");
    expect(recorded.rows.map((row) => row.version)).toEqual(migrations.map((m) => m.version));
    expect(await tableNames(db)).toEqual([...TABLES, "schema_migrations"].sort());
  });

  it("upgrades a version-1 database: its audit rows read back as tools/call, new rows keep their method", async () => {
    const db = temp.track(await createDatabase({ url: `file:${join(temp.dir(), "v1.db")}` }));
    await runMigrations(db, migrations.slice(0, 1));
    await db.client.execute(
      "INSERT INTO command_history (request_id, server, tool, transport, outcome, duration_ms, at) VALUES ('old', 'fs', 'read', 'mcp', 'ok', 1, 0)",
    );
    expect(await migrate(db)).toEqual({
      applied: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
      version: LATEST_SCHEMA_VERSION,
    });
    await db.client.execute(
      "INSERT INTO command_history (request_id, method, transport, outcome, duration_ms, at) VALUES ('new', 'prompts/list', 'mcp', 'ok', 1, 1)",
    );
    const rows = await db.client.execute("SELECT request_id, method FROM command_history ORDER BY at");
    expect(rows.rows.map((row) => [row.request_id, row.method])).toEqual([
      ["old", "tools/call"],
      ["new", "prompts/list"],
    ]);
  });

  it("refuses a database whose schema is newer than this code and leaves it unchanged", async () => {
    const db = await temp.db();
    await db.client.execute(
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 0)",
    );
    const error = await migrate(db).catch((e) => e);
    expect(SchemaTooNewError.isInstance(error)).toBe(true);
    expect(MigrationError.isInstance(error)).toBe(true);
    expect(error.code).toBe("SCHEMA_TOO_NEW");
    expect(error.message).toContain("version 99");
    expect(error.message).toContain(`up to ${LATEST_SCHEMA_VERSION}`);
    expect(error.message).toMatch(/Upgrade @waygate\/core/);
    expect(error).toMatchObject({ databaseVersion: 99, supportedVersion: LATEST_SCHEMA_VERSION });
    // openDatabase refuses the same way and closes what it opened.
    const reopened = await openDatabase({ url: db.url }).catch((e) => e);
    expect(reopened.code).toBe("SCHEMA_TOO_NEW");
  });

  it("rolls back a failing migration completely and names it", async () => {
    const db = temp.track(await createDatabase({ url: `file:${join(temp.dir(), "bad.db")}` }));
    const broken = [
      ...migrations,
      {
        version: LATEST_SCHEMA_VERSION + 1,
        name: "broken",
        statements: ["CREATE TABLE half_done (x)", "THIS IS NOT SQL"],
      },
    ];
    const error = await runMigrations(db, broken).catch((e) => e);
    expect(MigrationError.isInstance(error)).toBe(true);
    expect(error.code).toBe("MIGRATION_FAILED");
    expect(error.message).toContain(
      `migration ${LATEST_SCHEMA_VERSION + 1} (broken) failed and was rolled back`,
    );
    expect(await tableNames(db)).not.toContain("half_done");
    const recorded = await db.client.execute("SELECT version FROM schema_migrations");
    expect(recorded.rows.map((row) => row.version)).toEqual(migrations.map((m) => m.version));
  });

  it("refuses a database recording a version this build does not know", async () => {
    const db = temp.track(await createDatabase({ url: `file:${join(temp.dir(), "gap.db")}` }));
    const next = LATEST_SCHEMA_VERSION + 1;
    const withNext = [...migrations, { version: next, name: "next", statements: ["CREATE TABLE next (x)"] }];
    await runMigrations(db, withNext);
    const error = await runMigrations(db, [
      ...migrations,
      { version: next + 1, name: "after", statements: [] },
    ]).catch((e) => e);
    expect(error.code).toBe("MIGRATION_FAILED");
    expect(error.message).toContain(`does not know (${next})`);
  });
});
