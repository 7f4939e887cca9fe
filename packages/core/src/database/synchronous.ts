import type {
  Client,
  InArgs,
  InStatement,
  Replicated,
  ResultSet,
  Transaction,
  TransactionMode,
} from "@libsql/client";
// The SQLite client's entry: the package root would also load the remote (HTTP/WebSocket) client. Same class.
import { LibsqlBatchError } from "@libsql/client/sqlite3";
import { DatabaseError } from "../errors.js";

/**
 * How hard a local database file waits for the disk at each commit.
 * - `normal` (WAL + `synchronous=NORMAL`): a commit survives a crash of the process (even SIGKILL); an OS crash or
 *   power loss can lose the last few commits, never corrupt the file. Far fewer fsyncs.
 * - `full` (`synchronous=FULL`): every commit is fsynced before it returns, so it also survives an OS crash or
 *   power loss, at the cost of one fsync per commit.
 */
export type SynchronousLevel = "full" | "normal";

/** The values `PRAGMA synchronous` reports for each level. */
const PRAGMA_VALUE: Record<SynchronousLevel, number> = { normal: 1, full: 2 };

/** Statements that commit nothing of their own, or that SQLite refuses inside a transaction; they run as given. */
const RUNS_AS_GIVEN =
  /^\s*(select|pragma|explain|vacuum|attach|detach|begin|commit|end|rollback|savepoint|release)\b/i;

/** Enough attempts to configure every connection of the client's pool (20 by default) and then some. */
const MAX_ATTEMPTS = 64;

/** Parses the `synchronous` option; throws a DatabaseError naming the allowed values. */
export function parseSynchronousLevel(value: unknown): SynchronousLevel {
  if (value === "full" || value === "normal") return value;
  throw new DatabaseError(
    `synchronous must be "full" or "normal" (DATABASE_SYNCHRONOUS), got ${JSON.stringify(value)}.`,
  );
}

/**
 * Wraps a local (file) client so that every commit runs at `level`.
 *
 * `PRAGMA synchronous` belongs to one connection, SQLite refuses to change it inside a transaction, and the
 * local client opens further connections whenever it needs them (for instance while an interactive transaction
 * holds one), which start at SQLite's default (FULL). So each transaction checks the level of the connection it
 * was given; a connection that was never set is handed back, set, and the transaction begins again.
 * Writes sent through `execute` run as a one-statement batch so they get the same check; `executeMultiple` and
 * `migrate` run as given.
 */
export function withSynchronous(inner: Client, level: SynchronousLevel): Client {
  const wanted = PRAGMA_VALUE[level];
  const setPragma = `PRAGMA synchronous = ${level.toUpperCase()}`;

  async function transaction(mode: TransactionMode = "write"): Promise<Transaction> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const tx = await inner.transaction(mode);
      let current: number;
      try {
        current = Number((await tx.execute("PRAGMA synchronous")).rows[0]?.[0]);
      } catch (error) {
        tx.close();
        throw error;
      }
      if (current === wanted) return tx;
      // Give the connection back (rolled back, unused) and set it; the pool hands out its newest idle one first.
      tx.close();
      await inner.execute(setPragma);
    }
    throw new DatabaseError(
      `Could not set PRAGMA synchronous=${level.toUpperCase()} on the database connection after ${MAX_ATTEMPTS} attempts.`,
    );
  }

  // A batch must run without yielding between BEGIN and COMMIT (a write transaction that waits on the event loop
  // would hold the lock while other batches spin in the busy handler), so the level check is its last statement:
  // it fails with "integer overflow" on a connection that was never set, and nothing of the batch is committed.
  // Last, not first: a read before the batch's writes would pin a snapshot and turn lock waits into SQLITE_BUSY.
  const guard = `SELECT abs(-9223372036854775807 - 1) WHERE (SELECT synchronous FROM pragma_synchronous) <> ${wanted}`;

  async function batch(
    stmts: Array<InStatement | [string, InArgs?]>,
    mode: TransactionMode = "deferred",
  ): Promise<ResultSet[]> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      try {
        const results = await inner.batch([...stmts, guard], mode);
        return results.slice(0, -1);
      } catch (error) {
        const atGuard =
          error instanceof LibsqlBatchError &&
          error.statementIndex === stmts.length &&
          /integer overflow/.test(error.message);
        if (!atGuard) throw error;
        await inner.execute(setPragma);
      }
    }
    throw new DatabaseError(
      `Could not set PRAGMA synchronous=${level.toUpperCase()} on the database connection after ${MAX_ATTEMPTS} attempts.`,
    );
  }

  async function execute(stmtOrSql: InStatement, args?: InArgs): Promise<ResultSet> {
    const stmt: InStatement =
      typeof stmtOrSql === "string" ? { sql: stmtOrSql, args: args ?? [] } : stmtOrSql;
    const sql = typeof stmt === "string" ? stmt : stmt.sql;
    if (RUNS_AS_GIVEN.test(sql)) return inner.execute(stmt);
    const [result] = await batch([stmt], "deferred");
    return result as ResultSet;
  }

  return {
    execute: execute as Client["execute"],
    batch,
    transaction: transaction as Client["transaction"],
    migrate: (stmts: InStatement[]) => inner.migrate(stmts),
    executeMultiple: (sql: string) => inner.executeMultiple(sql),
    sync: (): Promise<Replicated> => inner.sync(),
    close: () => inner.close(),
    reconnect: () => inner.reconnect(),
    get closed() {
      return inner.closed;
    },
    get protocol() {
      return inner.protocol;
    },
  };
}
