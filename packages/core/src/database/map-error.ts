import {
  DatabaseAuthError,
  DatabaseCorruptError,
  DatabaseError,
  DatabaseFullError,
  DatabaseLockedError,
  DatabaseReadOnlyError,
  DatabaseUnreachableError,
  WaygateError,
} from "../errors.js";
import type { WaygateDatabase } from "./create-database.js";

/** What the error mapper needs to know to write a message a person can act on. */
export interface DatabaseErrorContext {
  /** The database URL with credentials removed. */
  displayUrl: string;
  kind: "file" | "memory" | "remote";
  busyTimeoutMs?: number;
  /** What Waygate was doing, e.g. "opening the database". */
  action: string;
}

/** Converts a libSQL / SQLite / network failure into the matching typed `DatabaseError`. */
export function toDatabaseError(error: unknown, context: DatabaseErrorContext): WaygateError {
  if (WaygateError.isInstance(error)) return error;
  const code = errorCode(error);
  const detail = error instanceof Error ? error.message : String(error);
  const where = `${context.displayUrl} (while ${context.action})`;
  const options = { cause: error };
  if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED") {
    return new DatabaseLockedError(
      `The database ${where} is locked by another connection or process and stayed locked for ${context.busyTimeoutMs ?? 0} ms. ` +
        "Stop the other process holding it, or raise busyTimeoutMs.",
      options,
    );
  }
  if (code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT") {
    return new DatabaseCorruptError(
      `The file ${where} is not a SQLite database or is corrupt (${detail}). ` +
        "Restore it from a backup, or point DATABASE_URL at a new file.",
      options,
    );
  }
  if (code === "SQLITE_READONLY" || code === "SQLITE_PERM") {
    return new DatabaseReadOnlyError(
      `The database ${where} is read-only (${detail}). ` +
        "Give the Waygate process write permission on the file and its folder, or choose a writable DATABASE_URL.",
      options,
    );
  }
  if (code === "SQLITE_FULL" || /\bSQLITE_FULL\b|database or disk is full/i.test(detail)) {
    return new DatabaseFullError(
      `The disk holding the database ${where} is full (${detail}). ` +
        "Free space on that filesystem (or give it more); writes resume as soon as there is room.",
      options,
    );
  }
  if (code === "SQLITE_CANTOPEN") {
    return new DatabaseReadOnlyError(
      `The database ${where} cannot be opened or created (${detail}). ` +
        "Check that its folder exists and that the Waygate process may write to it.",
      options,
    );
  }
  if (context.kind === "remote") {
    if (/\b(401|403)\b|unauthori[sz]ed|forbidden/i.test(detail)) {
      return new DatabaseAuthError(
        `The remote database ${where} refused the credentials (${detail}). ` +
          "Set DATABASE_AUTH_TOKEN (or authToken) to a valid token for this database.",
        options,
      );
    }
    if (isNetworkError(error)) {
      return new DatabaseUnreachableError(
        `The remote database ${where} could not be reached (${detail}). ` +
          "Check the URL, your network, and that the database server is running.",
        options,
      );
    }
  }
  return new DatabaseError(`Database error on ${where}: ${detail}`, options);
}

/** The SQLite base code of a libSQL error (SQLITE_BUSY for SQLITE_BUSY_SNAPSHOT), or undefined for any other error. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  // The native driver reports a failed open as `ConnectionFailed("… local database <path>: 14")`, without a SQLite code.
  const opened = /Unable to open connection to local database .*: (\d+)\b/.exec(
    String((error as Error).message),
  );
  if (opened?.[1] === "14") return "SQLITE_CANTOPEN";
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string") return undefined;
  // The native driver (a WriteConnection) reports extended codes such as SQLITE_BUSY_SNAPSHOT; the client, base codes.
  return /^SQLITE_[A-Z]+/.exec(code)?.[0] ?? code;
}

function isNetworkError(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (typeof current === "object" && current !== null && !seen.has(current)) {
    seen.add(current);
    const code = errorCode(current);
    const message = current instanceof Error ? current.message : "";
    if (
      (code !== undefined &&
        /^(ECONN|ENOTFOUND|EAI_|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|UND_ERR)/.test(code)) ||
      /fetch failed|timed out|network|socket/i.test(message)
    ) {
      return true;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * After SQLITE_BUSY, libSQL leaves the statement that hit the lock un-reset, and every later COMMIT on
 * that pooled connection fails with "SQL statements in progress". Reopening the pool's connections clears it.
 */
export async function recoverFromLock(db: WaygateDatabase, error: unknown): Promise<void> {
  if (db.kind === "file" && DatabaseLockedError.isInstance(error) && !db.client.closed) {
    await db.client.reconnect();
  }
}
