/** What changed: a server's state (with the server's name), or calls were audited (how many since the last push). */
export type LiveUpdate =
  | { kind: "servers"; server: string; event: string }
  | { kind: "calls"; count: number };

/** One subscriber: told each update, and told once when the gateway closes. */
export interface LiveSubscriber {
  update(update: LiveUpdate): void;
  close(): void;
}

/**
 * Fans out changes to the console's push stream (`GET /admin/stream`). Server changes go out at once; audited calls
 * are coalesced to one `calls` update per `coalesceMs` per subscriber, so a busy gateway costs each stream at most
 * one refresh per interval.
 */
export interface LiveUpdates {
  /** Told of a server's lifecycle event (start, failed start, state change, stop). */
  serverChanged(server: string, event: string): void;
  /** Told of each committed audit row. */
  callAudited(): void;
  /** Adds a subscriber; returns its unsubscribe. */
  subscribe(subscriber: LiveSubscriber): () => void;
  /** Ends every subscription (the gateway is closing). */
  close(): void;
}

/** Creates the fan-out. */
export function createLiveUpdates(options: { coalesceMs: number }): LiveUpdates {
  const subscribers = new Set<LiveSubscriber>();
  let pendingCalls = 0;
  let timer: NodeJS.Timeout | undefined;
  const tell = (update: LiveUpdate) => {
    for (const subscriber of subscribers) subscriber.update(update);
  };
  const flushCalls = () => {
    timer = undefined;
    const count = pendingCalls;
    pendingCalls = 0;
    if (count > 0) tell({ kind: "calls", count });
  };
  return {
    serverChanged(server, event) {
      if (subscribers.size > 0) tell({ kind: "servers", server, event });
    },
    callAudited() {
      if (subscribers.size === 0) return;
      pendingCalls++;
      timer ??= setTimeout(flushCalls, options.coalesceMs);
      timer.unref();
    },
    subscribe(subscriber) {
      subscribers.add(subscriber);
      return () => {
        subscribers.delete(subscriber);
      };
    },
    close() {
      clearTimeout(timer);
      timer = undefined;
      for (const subscriber of subscribers) subscriber.close();
      subscribers.clear();
    },
  };
}
