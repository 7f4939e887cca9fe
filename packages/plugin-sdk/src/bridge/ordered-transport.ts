import type { Transport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, MessageExtraInfo } from "@modelcontextprotocol/sdk/types.js";

type Delivery = { message: JSONRPCMessage; extra: MessageExtraInfo | undefined } | "close";

/**
 * Wraps a client transport so that every notification is handled before the next message is delivered.
 * The SDK runs notification handlers a microtask late but settles responses at once, so without this a
 * progress or log notification sent just before its response is dropped or arrives after the result.
 */
export class OrderedTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;

  readonly inner: Transport;
  readonly #queue: Delivery[] = [];
  #draining = false;

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
    inner.onclose = () => this.#enqueue("close");
    inner.onerror = (error) => this.onerror?.(error);
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  setProtocolVersion(version: string): void {
    this.inner.setProtocolVersion?.(version);
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    return this.inner.send(message, options);
  }

  close(): Promise<void> {
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
