import type { WaygateDatabase } from "../database/create-database.js";
import { recoverFromLock, toDatabaseError } from "../database/map-error.js";

/** Runs a database call and turns any driver failure into a typed `DatabaseError` naming `action`. */
export async function dbCall<T>(db: WaygateDatabase, action: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const mapped = toDatabaseError(error, {
      displayUrl: db.url,
      kind: db.kind,
      busyTimeoutMs: db.busyTimeoutMs,
      action,
    });
    await recoverFromLock(db, mapped);
    throw mapped;
  }
}

/** A nullable epoch-millisecond column as a `Date`. */
export function toDate(value: unknown): Date | null {
  return value === null || value === undefined ? null : new Date(Number(value));
}

/** Parses a JSON column written by core itself. */
export function parseJsonColumn<T>(value: unknown, fallback: T): T {
  return typeof value === "string" ? (JSON.parse(value) as T) : fallback;
}

/** Encodes a `(time, id)` position as an opaque pagination cursor. */
export function encodeCursor(at: number, id: number): string {
  return Buffer.from(`${at}:${id}`, "utf8").toString("base64url");
}

/** Decodes a cursor made by `encodeCursor`, or returns `null` when it is not one. */
export function decodeCursor(cursor: string): { at: number; id: number } | null {
  const match = /^(\d+):(\d+)$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!match) return null;
  return { at: Number(match[1]), id: Number(match[2]) };
}
