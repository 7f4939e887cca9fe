import type { Transaction } from "@libsql/client";
import type { WaygateDatabase } from "./database/create-database.js";
import { recoverFromLock, toDatabaseError } from "./database/map-error.js";
import { MigrationError, SchemaTooNewError, WaygateError } from "./errors.js";
import { migrations as builtInMigrations } from "./migrations/index.js";
import type { Migration } from "./migrations/migration.js";

/** What `migrate` did: the versions it applied now, and the schema version afterwards. */
export interface MigrationResult {
  applied: number[];
  version: number;
}

const CREATE_SCHEMA_MIGRATIONS = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at INTEGER NOT NULL
)`;

/** Brings the schema up to date; safe to run again and from several processes at once. */
export function migrate(db: WaygateDatabase): Promise<MigrationResult> {
  return runMigrations(db, builtInMigrations);
}

/** Applies `migrations` in order, each in its own write transaction, skipping those already recorded. */
export async function runMigrations(
  db: WaygateDatabase,
  migrations: readonly Migration[],
): Promise<MigrationResult> {
  try {
    return await applyPending(db, migrations);
  } catch (error) {
    await recoverFromLock(db, error);
    throw error;
  }
}

async function applyPending(db: WaygateDatabase, migrations: readonly Migration[]): Promise<MigrationResult> {
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  const fail = (error: unknown, action: string) =>
    toDatabaseError(error, { displayUrl: db.url, kind: db.kind, busyTimeoutMs: db.busyTimeoutMs, action });
  let recorded: number[];
  try {
    await db.client.execute(CREATE_SCHEMA_MIGRATIONS);
    const rows = await db.client.execute("SELECT version FROM schema_migrations ORDER BY version");
    recorded = rows.rows.map((row) => Number(row[0]));
  } catch (error) {
    throw fail(error, "reading the schema version");
  }
  checkKnown(recorded, migrations, latest);

  const applied: number[] = [];
  for (const migration of migrations) {
    if (recorded.includes(migration.version)) continue;
    if (await applyOne(db, migration, latest, fail)) applied.push(migration.version);
  }
  return { applied, version: latest };
}

function checkKnown(recorded: readonly number[], migrations: readonly Migration[], latest: number): void {
  const newest = recorded.length === 0 ? 0 : Math.max(...recorded);
  if (newest > latest) throw new SchemaTooNewError(newest, latest);
  const unknown = recorded.filter((version) => !migrations.some((m) => m.version === version));
  if (unknown.length > 0) {
    throw new MigrationError(
      `The database records schema versions this @waygate/core does not know (${unknown.join(", ")}). ` +
        "It was migrated by a different build; use the matching @waygate/core.",
    );
  }
}

async function applyOne(
  db: WaygateDatabase,
  migration: Migration,
  latest: number,
  fail: (error: unknown, action: string) => WaygateError,
): Promise<boolean> {
  const label = `migration ${migration.version} (${migration.name})`;
  let tx: Transaction;
  try {
    // "write" takes the write lock up front, so a second process waits here instead of racing us.
    tx = await db.client.transaction("write");
  } catch (error) {
    throw fail(error, `starting ${label}`);
  }
  try {
    const done = await tx.execute({
      sql: "SELECT version FROM schema_migrations WHERE version = ? OR version > ?",
      args: [migration.version, latest],
    });
    const versions = done.rows.map((row) => Number(row[0]));
    const newer = versions.filter((version) => version > latest);
    if (newer.length > 0) throw new SchemaTooNewError(Math.max(...newer), latest);
    if (versions.includes(migration.version)) return false;
    for (const statement of migration.statements) await tx.execute(statement);
    await tx.execute({
      sql: "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
      args: [migration.version, migration.name, Date.now()],
    });
    await tx.commit();
    return true;
  } catch (error) {
    if (WaygateError.isInstance(error)) throw error;
    const mapped = fail(error, `applying ${label}`);
    if (mapped.code !== "DATABASE_ERROR") throw mapped;
    throw new MigrationError(
      `${label} failed and was rolled back, so the database is unchanged: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    tx.close();
  }
}
