import type winston from "winston";
import type { Store } from "./store.js";
import type { EventRecorder } from "./upstreams/server-manager.js";

/** Records a system event (start, stop, upstream crash, …); a failed write is logged, never thrown at the caller. */
export function createEventRecorder(store: Store, logger: winston.Logger): EventRecorder {
  return async (event) => {
    try {
      await store.repos.systemEvents.record(event);
    } catch (error) {
      logger.error("could not record system event", {
        type: event.type,
        error: String((error as Error).message),
      });
    }
  };
}
