// The MCP bridge plugin: the plugin surface a host and subclasses see. It forwards each call on the live upstream
// connection; the connection's lifecycle, the mirrored lists and the subscriptions live in files of their own.
import type {
  CallToolResult,
  Client,
  CompleteRequestParams,
  CompleteResult,
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  RequestOptions,
  Resource,
  ResourceTemplateType as ResourceTemplate,
  Tool,
} from "@modelcontextprotocol/client";
import { BasePlugin } from "../base-plugin.js";
import { errorMessage, PluginConfigError, PluginError, UpstreamUnavailableError } from "../errors.js";
import type { PluginMetadata } from "../metadata.js";
import type { PluginCallContext, PluginHealth } from "../plugin.js";
import { failureResult } from "../results.js";
import { formatZodIssues } from "../zod-issues.js";
import type { McpBridgeHooks } from "./bridge-hooks.js";
import {
  ALL_UPSTREAM_LOGS,
  capabilitiesMeta,
  type ForwardingLink,
  forwardRequest,
  requestMeta,
  traceMeta,
  withMeta,
} from "./call-forwarding.js";
import { CallsInFlight } from "./client-request-relay.js";
import { ConnectionLifecycle } from "./connection-lifecycle.js";
import { type RoundAnswers, sendWithRounds } from "./input-rounds.js";
import { type McpBridgeOptions, type McpBridgeOptionsInput, McpBridgeOptionsSchema } from "./options.js";
import { deniedResult, policyDenyReason } from "./policy.js";
import { ResourceSubscriptions } from "./resource-subscriptions.js";
import type { UpstreamConnection } from "./upstream-connection.js";
import type { UpstreamEra } from "./upstream-era.js";
import { UpstreamListMirror } from "./upstream-lists.js";
import { type SubscriptionLink, subscribeUpstream, unsubscribeUpstream } from "./upstream-subscriptions.js";

/**
 * A plugin that fronts an external MCP server (stdio, Streamable HTTP or legacy SSE) through the official
 * SDK client: it mirrors the upstream's tools, resources and prompts, forwards calls with a timeout and
 * cancellation, and keeps the upstream alive with bounded, jittered restarts. The upstream may speak either
 * protocol era (2025 `initialize` or 2026-07-28 `server/discover`); `upstreamEra()` says which it found.
 */
export class McpBridgePlugin extends BasePlugin {
  readonly metadata: PluginMetadata;
  readonly options: McpBridgeOptions;
  readonly #hooks: McpBridgeHooks;
  readonly #lists: UpstreamListMirror;
  readonly #calls = new CallsInFlight();
  readonly #subscriptions = new ResourceSubscriptions(
    {
      subscribe: (uri) => this.#subscribeUpstream(uri),
      unsubscribe: (uri) => this.#unsubscribeUpstream(uri),
    },
    () => this.logger,
  );
  readonly #upstream: ConnectionLifecycle;
  readonly #forwarding: ForwardingLink & SubscriptionLink;

  constructor(options: McpBridgeOptionsInput, hooks: McpBridgeHooks = {}) {
    super();
    const parsed = McpBridgeOptionsSchema.safeParse(options);
    if (!parsed.success) {
      const name = typeof options?.name === "string" ? ` '${options.name}'` : "";
      throw new PluginConfigError(
        `Invalid options for MCP bridge${name}: ${formatZodIssues(parsed.error.issues)}`,
      );
    }
    this.options = parsed.data;
    this.#hooks = hooks;
    this.metadata = {
      name: this.options.name,
      version: this.options.version,
      ...(this.options.description ? { description: this.options.description } : {}),
    };
    this.#lists = new UpstreamListMirror(hooks.policy);
    this.#upstream = new ConnectionLifecycle({
      upstream: this.options.name,
      options: this.options,
      hooks,
      lists: this.#lists,
      calls: this.#calls,
      subscriptions: this.#subscriptions,
      logger: () => this.logger,
      setState: (state, error) => this.setState(state, error),
      lastError: () => this.getStatus().lastError?.message,
      countRestart: () => this.countRestart(),
      notifyListChanged: (kind) => this.notifyListChanged(kind),
    });
    this.#forwarding = {
      upstream: this.options.name,
      calls: this.#calls,
      deadlineMs: () => this.#callTimeoutMs(),
      closeReason: () => this.#upstream.connection?.closeReason,
      logger: () => this.logger,
    };
  }

  /**
   * The protocol era the upstream speaks, as found by the current (or last) connection: persist it and pass
   * it back as `protocol.prior` so the next start skips the probe. Undefined until the first connection.
   */
  upstreamEra(): UpstreamEra | undefined {
    return this.#upstream.era;
  }

  /** The upstream process id, for stdio upstreams that are running. */
  get upstreamPid(): number | undefined {
    return this.#upstream.connection?.process?.pid;
  }

  protected override get validatesToolNames(): boolean {
    return false;
  }

  protected override initialize(): Promise<void> {
    return this.#upstream.start();
  }

  protected getTools(): Tool[] {
    return this.#lists.visibleTools;
  }

  protected override getResources(): Resource[] {
    return this.#lists.lists.resources;
  }

  protected override getResourceTemplates(): ResourceTemplate[] {
    return this.#lists.lists.resourceTemplates;
  }

  protected override getPrompts(): Prompt[] {
    return this.#lists.lists.prompts;
  }

  protected execute(
    name: string,
    args: Record<string, unknown>,
    ctx: PluginCallContext,
  ): Promise<CallToolResult> {
    let forwarded = args;
    const policy = this.#hooks.policy;
    if (policy) {
      const tool = this.#lists.lists.tools.find((candidate) => candidate.name === name);
      const reason = policyDenyReason(policy, tool, name, args);
      if (reason !== undefined) {
        ctx.logger.warn("call denied by bridge policy", { tool: name, reason });
        return Promise.resolve(deniedResult(this.metadata.name, reason));
      }
      if (tool && policy.prepareArgs) forwarded = policy.prepareArgs(tool, args);
    }
    return this.#request("tools/call", name, ctx, (client, options) => {
      const meta = {
        ...(client.getProtocolEra() === "modern" ? { ...ALL_UPSTREAM_LOGS, ...capabilitiesMeta(ctx) } : {}),
        ...traceMeta(ctx),
      };
      const params =
        Object.keys(meta).length > 0
          ? { name, arguments: forwarded, _meta: meta }
          : { name, arguments: forwarded };
      return this.#rounds(client, ctx, (answers, manual) =>
        client.callTool({ ...params, ...answers }, { ...options, ...manual }),
      );
    }).then(
      (result) => result as CallToolResult,
      // A capability the client lacks is the client's error to see (-32021), not a tool failure.
      (error: unknown) => {
        if (PluginError.isInstance(error, "CLIENT_CAPABILITY_REQUIRED")) throw error;
        return failureResult(errorMessage(error));
      },
    );
  }

  protected override onReadResource(uri: string, ctx: PluginCallContext): Promise<ReadResourceResult> {
    return this.#request("resources/read", uri, ctx, (client, options) =>
      this.#rounds(client, ctx, (answers, manual) =>
        client.readResource(withMeta({ uri }, requestMeta(client, ctx), answers), { ...options, ...manual }),
      ),
    );
  }

  protected override onGetPrompt(
    name: string,
    args: Record<string, string>,
    ctx: PluginCallContext,
  ): Promise<GetPromptResult> {
    return this.#request("prompts/get", name, ctx, (client, options) =>
      this.#rounds(client, ctx, (answers, manual) =>
        client.getPrompt(withMeta({ name, arguments: args }, requestMeta(client, ctx), answers), {
          ...options,
          ...manual,
        }),
      ),
    );
  }

  protected override onComplete(
    params: CompleteRequestParams,
    ctx: PluginCallContext,
  ): Promise<CompleteResult> {
    if (!this.#upstream.client()?.getServerCapabilities()?.completions)
      return Promise.resolve({ completion: { values: [] } });
    return this.#request("completion/complete", undefined, ctx, (client, options) =>
      client.complete(params, options),
    );
  }

  /**
   * Subscribes to a resource's updates: the first subscriber of a URI sends `resources/subscribe` upstream,
   * the last one to leave sends `resources/unsubscribe`. Rejects with RESOURCE_SUBSCRIBE_UNSUPPORTED when the
   * upstream does not advertise `resources.subscribe`, and with the upstream's refusal (e.g. unknown URI).
   */
  override subscribeResource(uri: string, onUpdated: () => void): Promise<() => Promise<void>> {
    return this.#subscriptions.add(uri, onUpdated);
  }

  override async healthCheck(): Promise<PluginHealth> {
    const status = this.getStatus();
    const details = { state: status.state, restarts: status.restarts };
    const client = this.#upstream.client();
    if (status.state !== "ready" || !client) {
      return { healthy: false, message: status.lastError?.message ?? `upstream is ${status.state}`, details };
    }
    try {
      // 2026-07-28 has no ping; `server/discover` is the cheapest request both sides must answer.
      const options = { timeout: this.#callTimeoutMs() };
      if (client.getProtocolEra() === "modern") await client.discover(options);
      else await client.ping(options);
      return { healthy: true, details };
    } catch (error) {
      return { healthy: false, message: `ping failed: ${errorMessage(error)}`, details };
    }
  }

  override async shutdown(): Promise<void> {
    await this.#upstream.stop();
    await super.shutdown();
  }

  /** The deadline of one forwarded request now: the host's, else the bridge's own `timeouts.callMs`. */
  #callTimeoutMs(): number {
    return this.#hooks.callTimeoutMs?.() ?? this.options.timeouts.callMs;
  }

  /** The connection to send a caller's request on, or the error that refuses the request: the bridge is not ready. */
  #readyConnection(): UpstreamConnection | UpstreamUnavailableError {
    const connection = this.#upstream.live();
    if (connection && this.currentState === "ready") return connection;
    const state = this.getStatus();
    const reason = state.lastError ? `; last error: ${state.lastError.message}` : "";
    return new UpstreamUnavailableError(`Upstream '${this.metadata.name}' is ${state.state}${reason}`);
  }

  /** Sends one caller's request upstream (see `forwardRequest`), or rejects when the bridge is not ready. */
  #request<T>(
    method: string,
    subject: string | undefined,
    ctx: PluginCallContext,
    send: (client: Client, options: RequestOptions) => Promise<T>,
  ): Promise<T> {
    const connection = this.#readyConnection();
    if (connection instanceof UpstreamUnavailableError) return Promise.reject(connection);
    return forwardRequest(connection.client, this.#forwarding, method, subject, ctx, send);
  }

  /** Sends a request that may come back `input_required`, answered with the call's own client (see `sendWithRounds`). */
  #rounds<R>(
    client: Client,
    ctx: PluginCallContext,
    send: (answers: RoundAnswers | undefined, manual: { allowInputRequired?: true }) => Promise<unknown>,
  ): Promise<R> {
    return sendWithRounds<R>(
      client,
      ctx.clientRequests ?? this.#hooks.clientRequests,
      this.metadata.name,
      send,
    );
  }

  #subscribeUpstream(uri: string): Promise<void> {
    const connection = this.#upstream.live();
    if (!connection || this.currentState !== "ready") {
      return Promise.reject(
        new UpstreamUnavailableError(
          `Cannot subscribe to '${uri}': upstream '${this.metadata.name}' is ${this.currentState}`,
        ),
      );
    }
    return subscribeUpstream(connection, uri, this.#forwarding);
  }

  async #unsubscribeUpstream(uri: string): Promise<void> {
    const connection = this.#upstream.live();
    // With no live connection there is nothing to undo: the upstream's subscription ended with it.
    if (!connection || this.currentState !== "ready") return;
    await unsubscribeUpstream(connection, uri, this.#forwarding);
  }
}
