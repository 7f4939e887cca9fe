import type { CommandHistoryRepository } from "@waygate/core";
import type winston from "winston";
import { startPolling } from "./polling.js";

/** Settings of the audit retention loop. */
export interface AuditRetentionOptions {
  history: Pick<CommandHistoryRepository, "prune">;
  logger: winston.Logger;
  /** Rows older than this many days are deleted (behind a chain anchor, so what is left still verifies). */
  retainDays: number;
  /** How often old rows are looked for. */
  everyMs: number;
  clock?: () => number;
}

const DAY_MS = 86_400_000;

/**
 * Deletes audit rows older than `retainDays` now and then every `everyMs`. Core's prune deletes a prefix of the chain
 * and anchors it, so `waygate audit verify` still holds. A failure is logged and retried at the next interval; it
 * never touches calls. Returns the function that stops it.
 */
export function startAuditRetention(options: AuditRetentionOptions): () => void {
  const clock = options.clock ?? Date.now;
  // A slow database must not pile up prunes: a tick while one runs joins it.
  const prune = async () => {
    const before = new Date(clock() - options.retainDays * DAY_MS);
    const deleted = await options.history.prune(before);
    if (deleted > 0)
      options.logger.info("audit retention deleted old rows", { deleted, before: before.toISOString() });
  };
  return startPolling({
    run: prune,
    everyMs: options.everyMs,
    logger: options.logger,
    failure: "audit retention failed; retrying at the next interval",
    immediately: true,
  }).stop;
}
