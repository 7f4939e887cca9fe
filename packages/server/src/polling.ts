import type winston from "winston";

/** A job run every `everyMs`: never two runs at once, and a failed run is logged and tried again at the next tick. */
export interface Polling {
  /** Runs the job now, or joins the run already going; never rejects. */
  now(): Promise<void>;
  /** Stops the ticks (a run already going finishes). */
  stop(): void;
}

/** Starts `run` every `everyMs` (and at once with `immediately`); `failure` is the warning logged when a run throws. */
export function startPolling(options: {
  run: () => Promise<void>;
  everyMs: number;
  logger: winston.Logger;
  failure: string;
  immediately?: boolean;
}): Polling {
  let running: Promise<void> | undefined;
  const now = () => {
    running ??= options
      .run()
      .catch((error: unknown) => {
        options.logger.warn(options.failure, { error: String((error as Error).message ?? error) });
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  if (options.immediately) void now();
  const timer = setInterval(() => void now(), options.everyMs);
  timer.unref();
  return { now, stop: () => clearInterval(timer) };
}
