// The life of a bridge's upstream connection: start (from the kept era verdict), loss, backed-off restarts, and
// shutdown. It owns the current connection and reports state through the plugin it serves.
import type { Client } from "@modelcontextprotocol/client";
import { UpstreamUnavailableError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { ListChangedKind, PluginStatus } from "../plugin.js";
import type { McpBridgeHooks } from "./bridge-hooks.js";
import { type CallsInFlight, relayUpstreamLog } from "./client-request-relay.js";
import type { McpBridgeOptions } from "./options.js";
import type { ResourceSubscriptions } from "./resource-subscriptions.js";
import { RestartSchedule } from "./restart-schedule.js";
import { UpstreamConnection } from "./upstream-connection.js";
import { connectByVerdict, type UpstreamEra, type UpstreamEraVerdict } from "./upstream-era.js";
import type { UpstreamListMirror } from "./upstream-lists.js";

/** The plugin a lifecycle serves: its settings, its status, and what it keeps of the upstream. */
export interface LifecycleHost {
  readonly upstream: string;
  readonly options: McpBridgeOptions;
  readonly hooks: McpBridgeHooks;
  readonly lists: UpstreamListMirror;
  readonly calls: CallsInFlight;
  readonly subscriptions: ResourceSubscriptions;
  logger(): Logger;
  setState(state: PluginStatus["state"], error?: unknown): void;
  lastError(): string | undefined;
  countRestart(): void;
  notifyListChanged(kind: ListChangedKind): void;
}

/** One bridge's connection to its upstream over time: at most one connection is current. */
export class ConnectionLifecycle {
  readonly #host: LifecycleHost;
  readonly #restarts: RestartSchedule;
  /** The current (or last) connection; after it is lost it stays, for its process's id and exit. */
  #connection: UpstreamConnection | undefined;
  #stopping = false;
  /** The verdict the next connection starts from: the configured prior, then what the last connection found. */
  #prior: UpstreamEraVerdict | undefined;
  #era: UpstreamEra | undefined;

  constructor(host: LifecycleHost) {
    this.#host = host;
    this.#prior = host.options.protocol.prior;
    this.#restarts = new RestartSchedule({
      upstream: host.upstream,
      policy: host.options.restart,
      logger: () => host.logger(),
      stopping: () => this.#stopping,
      reconnect: () => this.#connect(),
      restarted: (attempt) => this.#restarted(attempt),
      setState: (state, error) => host.setState(state, error),
      lastError: () => host.lastError(),
    });
  }

  /** The era the current (or last) connection found. */
  get era(): UpstreamEra | undefined {
    return this.#era;
  }

  /** The current (or last) connection, lost or not; undefined before the first and after shutdown. */
  get connection(): UpstreamConnection | undefined {
    return this.#connection;
  }

  /** The current connection while it is up. */
  live(): UpstreamConnection | undefined {
    const connection = this.#connection;
    return connection && !connection.lost ? connection : undefined;
  }

  /** The current connection's client while it is up. */
  client(): Client | undefined {
    return this.live()?.client;
  }

  /**
   * Connects, replacing an earlier connection instead of leaking it. A first start that times out or ends with the
   * process is retried with backoff (see `RestartSchedule.retryFailedStart`); the start still rejects, so the host
   * records the failure, and `stop()` ends the retries.
   */
  async start(): Promise<void> {
    this.#restarts.stop();
    this.#stopping = true;
    await this.client()
      ?.close()
      .catch(() => {});
    this.#stopping = false;
    this.#restarts.reset();
    try {
      await this.#connect();
    } catch (error) {
      this.#restarts.retryFailedStart(error);
      throw error;
    }
    await this.#host.subscriptions.renewUpstream();
  }

  /** Ends restarts and closes the connection for good. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#restarts.stop();
    const connection = this.#connection;
    this.#connection = undefined;
    await connection?.close();
  }

  async #connect(): Promise<void> {
    // A start being retried stays `failed`, with its last error, until it connects: it has no lists to serve.
    if (!this.#restarts.retryingStart) this.#host.setState("connecting");
    await connectByVerdict(this.#prior, {
      open: (prior) => this.#open(prior),
      forgetVerdict: () => {
        this.#prior = undefined;
      },
      stopping: () => this.#stopping,
      logger: this.#host.logger(),
    });
  }

  /** Opens a new connection, and once it is up serves its lists and keeps its era for the next one. */
  async #open(prior: UpstreamEraVerdict | undefined): Promise<void> {
    const host = this.#host;
    const logger = host.logger();
    const connection = new UpstreamConnection(
      { upstream: host.upstream, options: host.options, hooks: host.hooks, logger },
      {
        listChanged: (from, kind) =>
          void host.lists.refresh(from.client, kind, host.options.timeouts.connectMs, logger, (changed) =>
            host.notifyListChanged(changed),
          ),
        resourceUpdated: (uri) => host.subscriptions.notify(uri),
        log: (notification) => relayUpstreamLog(notification, logger, host.calls),
        clientRequests: (signal) => host.calls.handlersFor(signal, host.hooks.clientRequests),
        lost: (lost) => this.#onUnexpectedClose(lost),
      },
    );
    this.#connection = connection;
    try {
      host.lists.replace(await connection.open(prior));
    } catch (error) {
      if (this.#connection === connection) this.#connection = undefined;
      throw error;
    }
    this.#era = connection.era();
    this.#prior = this.#era;
    host.setState("ready");
    logger.info("upstream connected", {
      server: connection.client.getServerVersion()?.name,
      era: this.#era?.era,
      protocolVersion: this.#era?.protocolVersion,
      tools: host.lists.lists.tools.length,
      pid: connection.process?.pid,
    });
  }

  /** A restart connected: subscribe again, count it, and tell the host every list may have changed. */
  async #restarted(attempt: number): Promise<void> {
    const host = this.#host;
    await host.subscriptions.renewUpstream();
    host.countRestart();
    host.logger().info("upstream restarted", { attempt });
    for (const kind of ["tools", "resources", "prompts"] as const) host.notifyListChanged(kind);
  }

  #onUnexpectedClose(connection: UpstreamConnection): void {
    if (this.#stopping || this.#connection !== connection || connection.lost) return;
    const reason = connection.markLost();
    this.#host.setState(
      "degraded",
      new UpstreamUnavailableError(`Upstream '${this.#host.upstream}': ${reason}`),
    );
    this.#host.logger().warn("upstream connection lost", { reason });
    this.#restarts.schedule();
  }
}
