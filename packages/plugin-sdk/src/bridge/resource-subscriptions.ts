// Who listens to which resource's updates, shared by every subscriber of one bridge.
import { errorMessage } from "../errors.js";
import type { Logger } from "../logger.js";

/** How the subscription table reaches the upstream. */
export interface UpstreamSubscriber {
  subscribe(uri: string): Promise<void>;
  unsubscribe(uri: string): Promise<void>;
}

interface Entry {
  listeners: Set<() => void>;
  /** Settles when the upstream acknowledged `resources/subscribe`; rejects if it refused. */
  upstream: Promise<void>;
}

/**
 * Resource subscriptions shared by every subscriber of one bridge: the upstream is subscribed once per URI
 * when the first listener arrives and unsubscribed when the last one leaves.
 */
export class ResourceSubscriptions {
  readonly #entries = new Map<string, Entry>();
  readonly #upstream: UpstreamSubscriber;
  readonly #logger: () => Logger;

  constructor(upstream: UpstreamSubscriber, logger: () => Logger) {
    this.#upstream = upstream;
    this.#logger = logger;
  }

  /** Adds a listener for `uri`, subscribing upstream if it is the first; resolves to its unsubscriber. */
  async add(uri: string, listener: () => void): Promise<() => Promise<void>> {
    let entry = this.#entries.get(uri);
    if (!entry) {
      const created: Entry = { listeners: new Set(), upstream: this.#upstream.subscribe(uri) };
      this.#entries.set(uri, created);
      created.upstream.catch(() => {
        if (this.#entries.get(uri) === created) this.#entries.delete(uri);
      });
      entry = created;
    }
    await entry.upstream;
    // The last listener may have left while we waited; start over so the upstream is subscribed again.
    if (this.#entries.get(uri) !== entry) return this.add(uri, listener);
    const own = () => listener();
    entry.listeners.add(own);
    let removed = false;
    return async () => {
      if (removed) return;
      removed = true;
      entry.listeners.delete(own);
      if (entry.listeners.size > 0 || this.#entries.get(uri) !== entry) return;
      this.#entries.delete(uri);
      await this.#upstream.unsubscribe(uri);
    };
  }

  /** Runs every listener of `uri`; one listener's exception does not stop the others. */
  notify(uri: string): void {
    for (const listener of this.#entries.get(uri)?.listeners ?? []) {
      try {
        listener();
      } catch (error) {
        this.#logger().warn("resource update listener threw", { uri, error: errorMessage(error) });
      }
    }
  }

  /** URIs with at least one subscriber, to subscribe again after the upstream restarts. */
  uris(): string[] {
    return [...this.#entries.keys()];
  }

  /** Subscribes the upstream again to every URI with a subscriber, after a restart; a refusal is logged, not thrown. */
  async renewUpstream(): Promise<void> {
    for (const uri of this.uris()) {
      await this.#upstream
        .subscribe(uri)
        .catch((error: unknown) =>
          this.#logger().warn("resubscribing after restart failed", { uri, error: errorMessage(error) }),
        );
    }
  }

  /** How many listeners `uri` has (0 when nobody subscribed). */
  listenerCount(uri: string): number {
    return this.#entries.get(uri)?.listeners.size ?? 0;
  }
}
