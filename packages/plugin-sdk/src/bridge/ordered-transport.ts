import type {
  JSONRPCMessage,
  MessageExtraInfo,
  Transport,
  TransportSendOptions,
} from "@modelcontextprotocol/client";

type Delivery = { message: JSONRPCMessage; extra: MessageExtraInfo | undefined } | "close";

/**
 * Wraps a client transport so that every notification is handled before the next message is delivered.
 * The SDK runs notification handlers a microtask late but settles responses at once, so without this a
 * progress or log notification sent just before its response is dropped or arrives after the result.
 * (Still so in SDK v2: `Protocol._onnotification` defers every handler with `Promise.resolve().then`,
 * `_onresponse` drops the request's progress handler synchronously.)
 */
export class OrderedTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;

  readonly inner: Transport;
  readonly #queue: Delivery[] = [];
  #draining = false;
  #closeRequested = false;
  #closedByPeer = false;

  constructor(inner: Transport) {
    this.inner = inner;
    inner.onmessage = (message, extra) => {
      // Fast path for the common case: a response or request with nothing queued ahead of it needs no
      // ordering, so it skips the queue (and its per-message allocation).
      if (!this.#draining && this.#queue.length === 0 && "id" in message) {
        this.#draining = true;
        try {
          this.onmessage?.(message, extra);
        } finally {
          this.#draining = false;
        }
        // Whatever arrived re-entrantly while it ran is delivered now, in order.
        if (this.#queue.length > 0) this.#drain();
        return;
      }
      this.#enqueue({ message, extra });
    };
    inner.onclose = () => {
      if (!this.#closeRequested) this.#closedByPeer = true;
      this.#enqueue("close");
    };
    inner.onerror = (error) => this.onerror?.(error);
    // The SDK tells a stdio transport from an HTTP one by its `pid` and `stderr` members (a stdio server
    // that stays silent on `server/discover` is a legacy one, an HTTP server that does is down), so a
    // wrapped stdio transport must keep showing them.
    if ("pid" in inner && "stderr" in inner) {
      Object.defineProperties(this, {
        pid: { get: () => (inner as { pid?: unknown }).pid, enumerable: true },
        stderr: { get: () => (inner as { stderr?: unknown }).stderr, enumerable: true },
      });
    }
  }

  /** Streamable HTTP opens one request per message; on a 2026-07-28 connection closing it cancels the call. */
  get hasPerRequestStream(): boolean | undefined {
    return this.inner.hasPerRequestStream;
  }

  /** Whether the other side closed the connection (a process exit, a dropped stream) before we closed it. */
  get closedByPeer(): boolean {
    return this.#closedByPeer;
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  setProtocolVersion(version: string): void {
    this.inner.setProtocolVersion?.(version);
  }

  setSupportedProtocolVersions(versions: string[]): void {
    this.inner.setSupportedProtocolVersions?.(versions);
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    return this.inner.send(message, options);
  }

  close(): Promise<void> {
    this.#closeRequested = true;
    return this.inner.close();
  }

  #enqueue(delivery: Delivery): void {
    this.#queue.push(delivery);
    if (!this.#draining) this.#drain();
  }

  #drain(): void {
    this.#draining = true;
    for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) {
      if (next === "close") {
        this.onclose?.();
        continue;
      }
      this.onmessage?.(next.message, next.extra);
      if (!("id" in next.message)) {
        setImmediate(() => this.#drain());
        return;
      }
    }
    this.#draining = false;
  }
}
