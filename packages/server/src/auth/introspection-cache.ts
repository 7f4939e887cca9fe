import { createHash } from "node:crypto";
import { LRUCache } from "lru-cache";

/** One introspection answer kept: the claims of an active token, or the fact that it is not active. */
type Answer = { active: true; claims: Record<string, unknown> } | { active: false };

/** Limits of the introspection cache (`oauth.introspection.cache`). */
export interface IntrospectionCacheSettings {
  /** Answers kept at most; the least recently used goes first. */
  maxEntries: number;
  /** How long an active answer is reused, at most (never past the token's `exp`). */
  ttlSeconds: number;
  /** How long an inactive answer is reused, so a flood of bad tokens does not become a flood of introspections. */
  negativeTtlSeconds: number;
}

/**
 * A bounded cache of RFC 7662 answers, keyed by the token's SHA-256 (the token itself is not kept). An active answer
 * lives `ttlSeconds` but never past the token's `exp`; an inactive one `negativeTtlSeconds`. Failures to reach the
 * issuer are never cached. The checks that depend on the endpoint (audience) still run on every use.
 */
export function createIntrospectionCache(settings: IntrospectionCacheSettings, now: () => number = Date.now) {
  // ttlResolution 0: staleness is judged by the clock at each read, not by a time cached between timer ticks.
  const cache = new LRUCache<string, Answer>({ max: settings.maxEntries, ttlResolution: 0, perf: { now } });
  const keyOf = (token: string) => createHash("sha256").update(token, "utf8").digest("base64url");
  return {
    /** The kept answer for `token`, or undefined. */
    get(token: string): Answer | undefined {
      return cache.get(keyOf(token));
    },
    /** Keeps an answer for as long as the settings and the token's expiry allow. */
    set(token: string, claims: Record<string, unknown>): void {
      if (claims.active !== true) {
        if (settings.negativeTtlSeconds > 0) {
          cache.set(keyOf(token), { active: false }, { ttl: settings.negativeTtlSeconds * 1000 });
        }
        return;
      }
      const untilExpiry =
        typeof claims.exp === "number" ? claims.exp * 1000 - now() : Number.POSITIVE_INFINITY;
      const ttl = Math.min(settings.ttlSeconds * 1000, untilExpiry);
      if (ttl >= 1) cache.set(keyOf(token), { active: true, claims }, { ttl: Math.floor(ttl) });
    },
    get size(): number {
      return cache.size;
    },
  };
}
