import type { WaygateDatabase } from "./create-database.js";
import { recoverFromLock, toDatabaseError } from "./map-error.js";

/**
 * Checks that a write could commit now: begins a write transaction (waiting up to the busy timeout for
 * another writer's lock) and commits it empty, so nothing is written. Throws the typed `DatabaseError`
 * (`DatabaseLockedError`, `DatabaseReadOnlyError`, ...) that a real write would have met.
 */
export async function probeWrite(db: WaygateDatabase): Promise<void> {
  try {
    // One batch, not an interactive transaction: holding the write lock across event-loop turns would make any other
    // writer of this process wait for it synchronously, blocking the turn that would release it.
    await db.client.batch([], "write");
  } catch (raw) {
    const error = toDatabaseError(raw, {
      displayUrl: db.url,
      kind: db.kind,
      busyTimeoutMs: db.busyTimeoutMs,
      action: "checking that writes can commit",
    });
    await recoverFromLock(db, error);
    throw error;
  }
}
