import type { RequestHandler } from "express";

/** Tracks requests whose responses are still being produced, so shutdown can wait for them. */
export interface InFlightTracker {
  middleware: RequestHandler;
  count(): number;
  /** Resolves true when no tracked request is open, false if the deadline passes first. */
  idle(deadlineMs: number): Promise<boolean>;
}

/** Tracks every request except GETs (GET opens long-lived SSE streams that only end when sessions close). */
export function createInFlightTracker(): InFlightTracker {
  let open = 0;
  const waiters = new Set<() => void>();
  const release = () => {
    open--;
    if (open === 0) for (const wake of [...waiters]) wake();
  };
  return {
    middleware(req, res, next) {
      if (req.method === "GET") return next();
      open++;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        release();
      };
      res.once("finish", finish);
      res.once("close", finish);
      next();
    },
    count: () => open,
    idle(deadlineMs) {
      if (open === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(true);
        };
        const timer = setTimeout(() => {
          waiters.delete(wake);
          resolve(false);
        }, deadlineMs);
        waiters.add(wake);
      });
    },
  };
}
