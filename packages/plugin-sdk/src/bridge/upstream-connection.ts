// One connection to the upstream: the SDK client over its transport, opened from an era verdict, checked against
// the host's `acceptServer`, with its first lists; and how it ends (lost, or closed by the bridge).
import {
  type Client,
  type LoggingMessageNotification,
  type McpSubscription,
  StreamableHTTPClientTransport,
} from "@modelcontextprotocol/client";
import { UpstreamRefusedError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { ClientRequests, ListChangedKind } from "../plugin.js";
import { BridgeClient } from "./bridge-client.js";
import type { McpBridgeHooks } from "./bridge-hooks.js";
import { relayClientRequests } from "./client-request-relay.js";
import type { McpBridgeOptions } from "./options.js";
import type { OrderedTransport } from "./ordered-transport.js";
import { StdioProcessTransport } from "./stdio-process-transport.js";
import {
  readUpstreamEra,
  toPriorDiscovery,
  type UpstreamEra,
  type UpstreamEraVerdict,
} from "./upstream-era.js";
import { describeUpstreamFailure } from "./upstream-failure.js";
import {
  fetchUpstreamLists,
  listenForListChanges,
  MAX_LIST_PAGES,
  type UpstreamLists,
} from "./upstream-lists.js";
import { createUpstreamTransport } from "./upstream-transport.js";

/** What a connection needs of its bridge. */
export interface ConnectionSettings {
  readonly upstream: string;
  readonly options: McpBridgeOptions;
  readonly hooks: McpBridgeHooks;
  readonly logger: Logger;
}

/** What a connection tells its bridge, and asks of it. */
export interface ConnectionEvents {
  /** The upstream says its list of `kind` changed (a 2025 notification, or a 2026-07-28 listen stream's). */
  listChanged(connection: UpstreamConnection, kind: ListChangedKind): void;
  /** The upstream says a subscribed resource changed. */
  resourceUpdated(uri: string): void;
  /** The upstream logged a message. */
  log(notification: LoggingMessageNotification): void;
  /** Who answers a request the upstream sends with `signal` (sampling, elicitation, roots). */
  clientRequests(signal: AbortSignal): ClientRequests | undefined;
  /** The connection ended without the bridge closing it. */
  lost(connection: UpstreamConnection): void;
}

/** One SDK client over one transport to the upstream, from `open` until it is lost or closed. */
export class UpstreamConnection {
  readonly transport: OrderedTransport;
  readonly client: Client;
  /** Why the connection closed or misbehaved (an oversized message, the process's exit), for error messages. */
  closeReason: string | undefined;
  /** Set once the connection ended without the bridge closing it: its client is gone. */
  lost = false;
  /** 2026-era change notifications arrive on `subscriptions/listen` streams, one for lists and one per resource. */
  readonly resourceStreams = new Map<string, McpSubscription>();
  #listChanges: McpSubscription | undefined;
  readonly #settings: ConnectionSettings;
  readonly #events: ConnectionEvents;

  constructor(settings: ConnectionSettings, events: ConnectionEvents) {
    this.#settings = settings;
    this.#events = events;
    this.transport = createUpstreamTransport(settings.options, settings.hooks, settings.logger);
    this.client = this.#createClient();
  }

  /** The upstream's child process, for a stdio upstream. */
  get process(): StdioProcessTransport | undefined {
    const inner = this.transport.inner;
    return inner instanceof StdioProcessTransport ? inner : undefined;
  }

  /**
   * Connects (skipping the era probe when `prior` is known), refuses a server the host's `acceptServer` rejects,
   * and fetches the upstream's lists. A failure closes the connection and rejects with the failure described.
   */
  async open(prior: UpstreamEraVerdict | undefined): Promise<UpstreamLists> {
    const { client, transport } = this;
    const { upstream, options, hooks, logger } = this.#settings;
    const timeout = options.timeouts.connectMs;
    let lists: UpstreamLists;
    try {
      await client.connect(transport, prior ? { timeout, prior: toPriorDiscovery(prior) } : { timeout });
      const info = client.getServerVersion();
      const refusal = info ? hooks.acceptServer?.(info) : undefined;
      if (refusal !== undefined)
        throw new UpstreamRefusedError(`Upstream '${upstream}' was refused: ${refusal}`);
      lists = await fetchUpstreamLists(client, timeout);
    } catch (error) {
      await client.close().catch(() => {});
      throw describeUpstreamFailure(error, {
        upstream,
        operation: "initialize",
        timeoutMs: timeout,
        signal: new AbortController().signal,
        closeReason: this.closeReason,
        closedByPeer: transport.closedByPeer,
      });
    }
    this.#listChanges = await listenForListChanges(client, timeout, logger);
    client.onclose = () => this.#events.lost(this);
    return lists;
  }

  /** The era the connection negotiated, once open. */
  era(): UpstreamEra | undefined {
    return readUpstreamEra(this.client);
  }

  /** Marks the connection lost and says why: the process's exit for a stdio upstream, else that it closed. */
  markLost(): string {
    this.lost = true;
    const exit = this.process?.exit;
    const exitText = exit
      ? `exited with ${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`}`
      : "closed";
    this.closeReason = this.closeReason
      ? `${this.closeReason}; upstream ${exitText}`
      : `upstream ${exitText}`;
    return this.closeReason;
  }

  /**
   * Ends the connection for good: 2026-era listen streams end with the request's cancellation rather than a dropped
   * connection, and a Streamable HTTP server is told to drop the session rather than leave it to expire.
   */
  async close(): Promise<void> {
    await this.#listChanges?.close().catch(() => {});
    this.#listChanges = undefined;
    if (this.lost) return;
    if (this.transport.inner instanceof StreamableHTTPClientTransport)
      await this.transport.inner.terminateSession().catch(() => {});
    await this.client.close().catch(() => {});
  }

  #createClient(): Client {
    const { upstream, options, logger } = this.#settings;
    const events = this.#events;
    const client = new BridgeClient(
      { name: "waygate-bridge", version: options.version },
      {
        capabilities: { sampling: {}, elicitation: {}, roots: {} },
        versionNegotiation: { mode: options.protocol.negotiation },
        listMaxPages: MAX_LIST_PAGES,
      },
    );
    // While the SDK probes the era it passes transport errors only to a handler set on the transport before
    // connect; afterwards it calls that handler and then the client's. Each error is logged once.
    const seen = new WeakSet<Error>();
    const onError = (error: Error) => {
      if (seen.has(error)) return;
      seen.add(error);
      logger.warn("upstream transport error", { error: error.message });
      if ((error as { code?: string }).code === "UPSTREAM_MESSAGE_TOO_LARGE")
        this.closeReason = error.message;
    };
    this.transport.onerror = onError;
    client.onerror = onError;
    const changed = (kind: ListChangedKind) => () => events.listChanged(this, kind);
    client.setNotificationHandler("notifications/tools/list_changed", changed("tools"));
    client.setNotificationHandler("notifications/resources/list_changed", changed("resources"));
    client.setNotificationHandler("notifications/prompts/list_changed", changed("prompts"));
    client.setNotificationHandler("notifications/resources/updated", (notification) =>
      events.resourceUpdated(notification.params.uri),
    );
    client.setNotificationHandler("notifications/message", (notification) => events.log(notification));
    relayClientRequests(client, upstream, (signal) => events.clientRequests(signal));
    return client;
  }
}
