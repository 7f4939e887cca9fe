import type { Store } from "express-rate-limit";

/** What a shared rate-limit store reports about its backend, shown in `/health`. */
export interface RateLimitStoreHealth {
  /** Which engine keeps the counters, e.g. "redis". */
  kind: string;
  /** False while the backend cannot be reached. */
  ok: boolean;
  /** `open` lets requests through unlimited while the backend is down; `closed` refuses them with 503. */
  failMode: "open" | "closed";
  /** Why the last operation failed, while `ok` is false (never contains credentials). */
  error?: string;
  /** When the backend was last seen down (ISO time), while `ok` is false. */
  downSince?: string;
}

/** An express-rate-limit store shared by several replicas that can say whether its backend is reachable. */
export interface SharedRateLimitStore extends Store {
  health(): RateLimitStoreHealth;
  /** Closes what the store opened (e.g. its Redis connection); safe to call twice. */
  shutdown(): Promise<void>;
}

/** True for a store that reports health (such as the one from `@waygate/server/redis`). */
export function isSharedRateLimitStore(store: Store): store is SharedRateLimitStore {
  return typeof (store as Partial<SharedRateLimitStore>).health === "function";
}
