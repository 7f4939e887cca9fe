import type { Request } from "express";
import { ipKeyGenerator, MemoryStore, type Options } from "express-rate-limit";

/** Counts failed authentications per client address, so guessing keys costs no key lookup past the limit. */
export interface AuthFailureLimit {
  /** Seconds until the address may try again, or undefined while it is under the limit. */
  blockedFor(req: Request): Promise<number | undefined>;
  /** Counts one failed authentication (missing, malformed, unknown, revoked or expired key) for the address. */
  recordFailure(req: Request): Promise<void>;
  /** Stops the store's reset timer. */
  shutdown(): void;
}

/** Creates the counter: at most `limit` failures per `windowMs` per address (IPv6 grouped by /56). */
export function createAuthFailureLimit(options: { windowMs: number; limit: number }): AuthFailureLimit {
  // express-rate-limit's store, used directly: only failures are counted, so open streams never use up the budget.
  const store = new MemoryStore();
  store.init({ windowMs: options.windowMs } as Options);
  const keyOf = (req: Request) => ipKeyGenerator(req.ip ?? "unknown");
  return {
    async blockedFor(req) {
      const info = await store.get(keyOf(req));
      if (!info || info.totalHits < options.limit) return undefined;
      const resetMs = info.resetTime ? info.resetTime.getTime() - Date.now() : options.windowMs;
      return Math.max(1, Math.ceil(resetMs / 1000));
    },
    async recordFailure(req) {
      await store.increment(keyOf(req));
    },
    shutdown: () => store.shutdown(),
  };
}
