import { errorMessage } from "./errors.js";
import type { Logger } from "./logger.js";

/** Who hears of a plugin's resource updates: per-URI subscribers (2025 sessions) and hosts hearing every URI. */
export interface ResourceUpdates {
  /** `subscribeResource` of the plugin interface: `onUpdated` runs on every update of `uri`. */
  subscribe(uri: string, onUpdated: () => void): Promise<() => Promise<void>>;
  /** `onResourceUpdated` of the plugin interface: `listener` hears every URI. */
  listen(listener: (uri: string) => void): () => void;
  /** Tells every subscriber of `uri` and every listener that the resource changed. */
  notify(uri: string): void;
}

/** Creates the resource-update fan-out of one plugin; a listener that throws is logged, never breaks the others. */
export function createResourceUpdates(logger: () => Logger): ResourceUpdates {
  const byUri = new Map<string, Set<() => void>>();
  const everyUri = new Set<(uri: string) => void>();
  const guard = (uri: string, run: () => void) => {
    try {
      run();
    } catch (error) {
      logger().warn("resource update listener threw", { uri, error: errorMessage(error) });
    }
  };
  return {
    async subscribe(uri, onUpdated) {
      const set = byUri.get(uri) ?? new Set();
      byUri.set(uri, set);
      // Each subscription is its own entry, so one subscriber's unsubscribe never ends another's.
      const entry = () => onUpdated();
      set.add(entry);
      return async () => {
        set.delete(entry);
        if (set.size === 0) byUri.delete(uri);
      };
    },
    listen(listener) {
      everyUri.add(listener);
      return () => everyUri.delete(listener);
    },
    notify(uri) {
      for (const entry of byUri.get(uri) ?? []) guard(uri, entry);
      for (const listener of everyUri) guard(uri, () => listener(uri));
    },
  };
}
