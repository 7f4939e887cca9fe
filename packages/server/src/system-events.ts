import type winston from "winston";
import type { Store } from "./store.js";

/** Records a notable event (core's `systemEvents.record`); failures are logged, never thrown. */
export type EventRecorder = (event: {
  level: "info" | "warn" | "error";
  type: string;
  message: string;
  details?: Record<string, unknown>;
}) => Promise<void>;

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
