import Database from "libsql";
import { DatabaseError } from "../errors.js";
import type { SynchronousLevel } from "./synchronous.js";

/** A value bound to a `?` placeholder of a `WriteStatement`. */
export type WriteValue = string | number | bigint | Uint8Array | null;

/** One statement for `WriteConnection.batch`: SQL with positional arguments. */
export interface WriteStatement {
  sql: string;
  args: WriteValue[];
}

/**
 * A dedicated connection to a local database file for one hot write path (the audit writer uses one). It skips what
 * the shared client does per call: each distinct SQL text is prepared once and kept, and the synchronous level is set
 * once on the connection instead of checked in every transaction.
 */
export interface WriteConnection {
  /**
   * Runs `statements` in one write transaction (BEGIN IMMEDIATE … COMMIT), all or nothing, waiting up to the busy
   * timeout for another writer's lock. Blocks the event loop while it runs, as the local client does. Throws the
   * driver's error (`toDatabaseError` maps it as it maps the client's) after rolling back.
   */
  batch(statements: readonly WriteStatement[]): void;
  /**
   * Runs `work` in one write transaction, as `batch` does, for writes that must first read what they build on (the
   * audit chain reads the last row). `work` must be synchronous: the lock is held while it runs.
   */
  transaction<T>(work: (tx: WriteTransaction) => T): T;
  /** Closes the connection; safe to call twice. `db.close()` closes it too. */
  close(): void;
  readonly closed: boolean;
}

/** What `WriteConnection.transaction` gives its work: reads and writes inside the transaction. */
export interface WriteTransaction {
  /** The first row of a query, or undefined. */
  get(sql: string, args?: WriteValue[]): Record<string, unknown> | undefined;
  run(statement: WriteStatement): void;
}

/** Distinct SQL texts kept prepared; past this, statements are prepared for each use (callers have a handful). */
const MAX_CACHED_STATEMENTS = 16;

type Connection = Database.Database;
type Statement = ReturnType<Connection["prepare"]>;

/** Opens the connection lazily, on the first `batch`, so a failed open surfaces as that batch's error (and is retried). */
export function createWriteConnection(options: {
  path: string;
  displayUrl: string;
  busyTimeoutMs: number;
  synchronous: SynchronousLevel;
  /** Called once, when the connection is closed. */
  onClose?: () => void;
}): WriteConnection {
  let native: Connection | null = null;
  let statements = new Map<string, Statement>();
  let closed = false;

  function connect(): Connection {
    const db = new Database(options.path, { timeout: options.busyTimeoutMs });
    try {
      db.exec("PRAGMA journal_mode = WAL");
      db.exec(`PRAGMA synchronous = ${options.synchronous.toUpperCase()}`);
      db.exec("PRAGMA foreign_keys = ON");
    } catch (error) {
      db.close();
      throw error;
    }
    return db;
  }

  function prepared(db: Connection, sql: string): Statement {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      if (statements.size < MAX_CACHED_STATEMENTS) statements.set(sql, statement);
    }
    return statement;
  }

  /** Drops the native connection and its statements. */
  function disconnect(): void {
    const db = native;
    native = null;
    statements = new Map();
    if (db?.open) db.close();
  }

  /**
   * Ends a failed batch's transaction. Closing is no substitute: a connection closed with prepared statements still
   * alive lingers until they are garbage-collected, holding the write lock of its open transaction.
   */
  function rollback(): void {
    if (!native?.inTransaction) return;
    try {
      native.exec("ROLLBACK");
    } catch {
      disconnect();
    }
  }

  return {
    batch(batch) {
      this.transaction((tx) => {
        for (const statement of batch) tx.run(statement);
      });
    },
    transaction(work) {
      if (closed) throw new DatabaseError(`The database ${options.displayUrl} is closed.`);
      try {
        native ??= connect();
        const db = native;
        db.exec("BEGIN IMMEDIATE");
        const result = work({
          get: (sql, args = []) => prepared(db, sql).get(args) as Record<string, unknown> | undefined,
          run: (statement) => {
            prepared(db, statement.sql).run(statement.args);
          },
        });
        db.exec("COMMIT");
        return result;
      } catch (error) {
        // Also resets a statement that hit the lock, which would otherwise make every later COMMIT fail.
        rollback();
        throw error;
      }
    },
    close() {
      if (closed) return;
      closed = true;
      disconnect();
      options.onClose?.();
    },
    get closed() {
      return closed;
    },
  };
}
