import { type Clock, systemClock } from "../clock.js";
import type { WaygateDatabase } from "../database/create-database.js";
import { recoverFromLock, toDatabaseError } from "../database/map-error.js";
import { AuditWriteError, AuditWriterClosedError, DatabaseLockedError } from "../errors.js";
import { parseOrThrow } from "../validation.js";
import { chainKeyOf } from "./audit-chain.js";
import {
  type AuditEntry,
  AuditEntrySchema,
  type AuditRow,
  checkMaxArgumentBytes,
  DEFAULT_MAX_ARGUMENT_BYTES,
  toAuditRow,
} from "./audit-entry.js";
import { writeAuditRows } from "./write-audit-rows.js";

/** Tuning for `createAuditWriter`. */
export interface AuditWriterOptions {
  /** Rows accepted but not yet committed before `record` starts waiting for room (default 10 000). */
  maxQueue?: number;
  /** Most rows committed in one transaction (default 2000). */
  maxBatch?: number;
  /** Arguments larger than this many bytes of JSON are replaced by a truncation marker (default 8192). */
  maxArgumentBytes?: number;
  /** Extra attempts for a batch that failed because the database stayed locked (default 2). */
  lockRetries?: number;
  /**
   * `WAYGATE_SECRET_KEY`: keys the audit chain, so that a chain rebuilt by someone without it does not verify.
   * Without it the chain still shows rows edited, deleted or reordered without recomputing the chain.
   */
  secretKey?: string;
  /** How often the chain head is recorded as an anchor in `system_events` (default 300 000 ms, 5 minutes). */
  anchorEveryMs?: number;
  clock?: Clock;
}

/** Writes audit rows with group commit: rows that arrive while a commit is in flight share the next one. */
export interface AuditWriter {
  /** Resolves once the row is committed; waits for room while the queue is full; rejects if it could not be written. */
  record(entry: AuditEntry): Promise<void>;
  /** Resolves when every row accepted before the call is settled; rejects if any of them failed. */
  flush(): Promise<void>;
  /** Stops accepting rows, writes everything already accepted, then closes its own connection (not the database). */
  close(): Promise<void>;
  /** Rows accepted but not yet committed. */
  readonly depth: number;
}

interface QueuedRow {
  seq: number;
  row: AuditRow;
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface FlushWaiter {
  target: number;
  failed: number;
  lastError: unknown;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Creates an audit writer over `db`'s `command_history` table. */
export function createAuditWriter(db: WaygateDatabase, options: AuditWriterOptions = {}): AuditWriter {
  const maxQueue = positive(options.maxQueue ?? 10_000, "maxQueue");
  const maxBatch = positive(options.maxBatch ?? 2000, "maxBatch");
  const maxArgumentBytes = checkMaxArgumentBytes(
    options.maxArgumentBytes ?? DEFAULT_MAX_ARGUMENT_BYTES,
    "createAuditWriter",
  );
  const lockRetries = options.lockRetries ?? 2;
  const clock = options.clock ?? systemClock;
  const chainKey = chainKeyOf(options.secretKey);
  const anchorEveryMs = options.anchorEveryMs ?? 300_000;
  // The first commit anchors the head, so every start of a writer leaves a mark.
  let lastAnchorAt = Number.NEGATIVE_INFINITY;
  // Local files commit through a dedicated connection; memory and remote databases through the client.
  const direct = db.openWriteConnection();

  const pending: QueuedRow[] = [];
  const roomWaiters: Array<Omit<QueuedRow, "seq">> = [];
  const flushWaiters: FlushWaiter[] = [];
  let inFlight = 0;
  let accepted = 0;
  let settled = 0;
  let running = false;
  let closed = false;
  let closing: Promise<void> | null = null;

  const hasRoom = () => pending.length + inFlight < maxQueue;

  function admit(item: Omit<QueuedRow, "seq">): void {
    accepted += 1;
    pending.push({ ...item, seq: accepted });
    if (!running) {
      running = true;
      setImmediate(drain);
    }
  }

  async function drain(): Promise<void> {
    while (pending.length > 0) {
      const batch = pending.splice(0, maxBatch);
      inFlight = batch.length;
      try {
        await commit(batch);
      } catch (error) {
        // commit() reports database failures per row; this only catches a bug, and must not strand callers.
        for (const item of batch) fail(item, error);
      }
      inFlight = 0;
      settled = batch[batch.length - 1]?.seq ?? settled;
      wakeRoomWaiters();
      settleFlushWaiters();
      // Let the callers we just released queue their next rows, so they join the next commit together.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    running = false;
  }

  async function commit(batch: QueuedRow[]): Promise<void> {
    const error = await tryWrite(batch.map((item) => item.row));
    if (error === null) {
      for (const item of batch) item.resolve();
      return;
    }
    if (batch.length === 1) {
      fail(batch[0]!, error);
      return;
    }
    // One bad row must not sink its neighbours: write them one by one to find it.
    for (const item of batch) {
      const single = await tryWrite([item.row]);
      if (single === null) item.resolve();
      else fail(item, single);
    }
  }

  async function tryWrite(rows: AuditRow[]): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        const now = clock();
        const anchorAt = now - lastAnchorAt >= anchorEveryMs ? now : undefined;
        await writeAuditRows(db, rows, chainKey, {
          ...(direct ? { direct } : {}),
          ...(anchorAt ? { anchorAt } : {}),
        });
        if (anchorAt) lastAnchorAt = anchorAt;
        return null;
      } catch (raw) {
        const error = toDatabaseError(raw, {
          displayUrl: db.url,
          kind: db.kind,
          busyTimeoutMs: db.busyTimeoutMs,
          action: "writing audit rows",
        });
        // The dedicated connection rolls back a failed batch itself, releasing the lock.
        if (!direct) await recoverFromLock(db, error);
        if (!DatabaseLockedError.isInstance(error) || attempt >= lockRetries) return error;
        await new Promise((resolve) => setTimeout(resolve, 50 * 4 ** attempt));
      }
    }
  }

  function fail(item: QueuedRow, error: unknown): void {
    item.reject(error);
    for (const waiter of flushWaiters) {
      if (waiter.target >= item.seq) {
        waiter.failed += 1;
        waiter.lastError = error;
      }
    }
  }

  function wakeRoomWaiters(): void {
    while (roomWaiters.length > 0 && hasRoom()) admit(roomWaiters.shift()!);
  }

  function settleFlushWaiters(): void {
    for (let i = flushWaiters.length - 1; i >= 0; i--) {
      const waiter = flushWaiters[i]!;
      if (waiter.target > settled) continue;
      flushWaiters.splice(i, 1);
      if (waiter.failed === 0) waiter.resolve();
      else waiter.reject(new AuditWriteError(waiter.failed, waiter.lastError));
    }
  }

  function flush(): Promise<void> {
    // Callers still waiting for room were accepted before this flush and will be admitted in order.
    const target = accepted + roomWaiters.length;
    if (target <= settled) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      flushWaiters.push({ target, failed: 0, lastError: null, resolve, reject });
    });
  }

  return {
    async record(entry) {
      if (closed) throw new AuditWriterClosedError();
      const row = toAuditRow(parseOrThrow(AuditEntrySchema, entry, "audit entry"), clock(), maxArgumentBytes);
      return new Promise<void>((resolve, reject) => {
        // Back-pressure: once full, callers wait in arrival order until a commit frees room.
        if (roomWaiters.length > 0 || !hasRoom()) roomWaiters.push({ row, resolve, reject });
        else admit({ row, resolve, reject });
      });
    },
    flush,
    close() {
      closed = true;
      closing ??= flush().finally(() => direct?.close());
      return closing;
    },
    get depth() {
      return pending.length + inFlight;
    },
  };
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`createAuditWriter: ${name} must be a whole number >= 1, got ${value}.`);
  }
  return value;
}
