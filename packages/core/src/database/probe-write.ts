import type { WaygateDatabase } from "./create-database.js";
import { recoverFromLock, toDatabaseError } from "./map-error.js";

/**
 * Checks that a write could commit now: begins a write transaction (waiting up to the busy timeout for
 * another writer's lock) and rolls it back, so nothing is written. Throws the typed `DatabaseError`
 * (`DatabaseLockedError`, `DatabaseReadOnlyError`, ...) that a real write would have met.
 */
export async function probeWrite(db: WaygateDatabase): Promise<void> {
  try {
    const tx = await db.client.transaction("write");
    try {
      await tx.rollback();
    } finally {
      tx.close();
    }
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
