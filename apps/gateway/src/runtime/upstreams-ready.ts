import { setTimeout as delay } from "node:timers/promises";
import type { Gateway } from "@waygate/server";

/** How long `waygate stdio` holds a client's `initialize` for upstreams to settle, unless `--ready-timeout` says. */
export const DEFAULT_STDIO_READY_TIMEOUT_MS = 30_000;

/**
 * Waits until every plugin and upstream has settled (ready or failed), at most `boundMs`, or until `signal` aborts.
 * Returns whether they settled: a client that lists tools once after `initialize` then sees the whole list, and
 * one slow `npx -y` upstream costs at most the bound (its tools follow by list_changed).
 */
export async function upstreamsSettled(
  gateway: Gateway,
  boundMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  const timer = new AbortController();
  const onStop = () => timer.abort();
  signal.addEventListener("abort", onStop, { once: true });
  try {
    return await Promise.race([
      gateway.ready().then(() => true),
      delay(boundMs, false, { signal: timer.signal }).catch(() => false),
    ]);
  } finally {
    timer.abort();
    signal.removeEventListener("abort", onStop);
  }
}
