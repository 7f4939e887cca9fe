import {
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  type Client,
  type CompleteRequestParams,
  type CompleteResult,
  type GetPromptResult,
  LOG_LEVEL_META_KEY,
  type LoggingMessageNotification,
  type McpSubscription,
  type OAuthClientProvider,
  type Prompt,
  ProtocolError,
  ProtocolErrorCode,
  type ReadResourceResult,
  type RequestOptions,
  type Resource,
  type ResourceTemplateType as ResourceTemplate,
  SdkError,
  SdkErrorCode,
  SSEClientTransport,
  StreamableHTTPClientTransport,
  type Tool,
  type Transport,
} from "@modelcontextprotocol/client";
import { BasePlugin } from "../base-plugin.js";
import {
  errorMessage,
  PluginConfigError,
  PluginError,
  UpstreamRefusedError,
  UpstreamUnavailableError,
} from "../errors.js";
import type { PluginMetadata } from "../metadata.js";
import type { ClientRequests, ListChangedKind, PluginCallContext, PluginHealth } from "../plugin.js";
import { failureResult } from "../results.js";
import { formatZodIssues } from "../zod-issues.js";
import { restartDelayMs } from "./backoff.js";
import { BridgeClient } from "./bridge-client.js";
import { type RoundAnswers, withInputRounds } from "./input-rounds.js";
import { type McpBridgeOptions, type McpBridgeOptionsInput, McpBridgeOptionsSchema } from "./options.js";
import { OrderedTransport } from "./ordered-transport.js";
import { type BridgePolicy, deniedResult, policyDenyReason } from "./policy.js";
import { ResourceSubscriptions } from "./resource-subscriptions.js";
import { StdioProcessTransport } from "./stdio-process-transport.js";
import {
  readUpstreamEra,
  toPriorDiscovery,
  type UpstreamEra,
  type UpstreamEraVerdict,
} from "./upstream-era.js";
import { describeUpstreamFailure } from "./upstream-failure.js";
import { fetchUpstreamLists, MAX_LIST_PAGES, type UpstreamLists } from "./upstream-lists.js";

/** Whether a connect failed because the upstream closed the connection while the SDK probed its era. */
const closedOnProbe = (error: unknown): boolean =>
  PluginError.isInstance(error, "UPSTREAM_CLOSED") &&
  SdkError.isInstance(error.cause) &&
  error.cause.code === SdkErrorCode.EraNegotiationFailed;

/** Host-supplied extras that cannot live in JSON options. */
export interface McpBridgeHooks {
  /** Answers the upstream's sampling, elicitation and roots requests when no single call can take them. */
  clientRequests?: ClientRequests;
  /** Hides tools and denies calls before they reach the upstream; denials carry `_meta["waygate/denied"]`. */
  policy?: BridgePolicy;
  /**
   * The fetch an http/sse upstream is reached with (default: the global one), e.g. one that checks every address
   * it connects to. It is called once per hop of a redirect the transport follows.
   */
  fetch?: (url: string | URL, init?: RequestInit) => Promise<Response>;
  /**
   * Checks the server found after connecting (its `serverInfo`): a returned reason refuses it (the connection is
   * closed and the start fails with UPSTREAM_REFUSED), e.g. when the upstream is the host itself.
   */
  acceptServer?: (serverInfo: UpstreamServerInfo) => string | undefined;
  /**
   * Gets an http/sse upstream's OAuth access tokens (the SDK's provider interface, e.g. its
   * `ClientCredentialsProvider`): on a 401 the transport discovers the upstream's authorization server and asks it.
   */
  authProvider?: OAuthClientProvider;
  /**
   * The deadline of each forwarded request, read per request, in place of `timeouts.callMs`: a host whose deadline
   * can change while the bridge runs (a runtime setting) passes it here, so a running upstream follows the change.
   */
  callTimeoutMs?: () => number;
}

/** What an upstream says about itself in `serverInfo`. */
export interface UpstreamServerInfo {
  name: string;
  version: string;
  title?: string;
  description?: string;
}

const LOG_LEVELS = { debug: "debug", info: "info", notice: "info", warning: "warn" } as const;
/**
 * A 2026-era server logs only at the level each request asks for (and nothing when it asks for none); a 2025-era
 * one logs everything until told otherwise. Asking for `debug` keeps the two the same for the bridge.
 */
const ALL_UPSTREAM_LOGS = { [LOG_LEVEL_META_KEY]: "debug" } as const;

/**
 * What a 2026-07-28 upstream is told the client can answer: what the calling client declared, of what the bridge can
 * pass on (sampling, elicitation, roots). Without it the upstream would take the bridge's own declaration, ask for
 * something the calling client cannot answer, and the call would fail instead of taking the upstream's other path.
 */
const capabilitiesMeta = (ctx: PluginCallContext): Record<string, unknown> => {
  const declared = ctx.clientCapabilities;
  if (!declared) return {};
  const passed: Record<string, unknown> = {};
  for (const name of ["sampling", "elicitation", "roots"] as const) {
    if (declared[name] !== undefined) passed[name] = declared[name];
  }
  return { [CLIENT_CAPABILITIES_META_KEY]: passed };
};

/** The `_meta` a read or prompt request carries upstream: the caller's trace, and on a 2026 connection its capabilities. */
const requestMeta = (client: Client, ctx: PluginCallContext): Record<string, unknown> => ({
  ...(client.getProtocolEra() === "modern" ? capabilitiesMeta(ctx) : {}),
  ...traceMeta(ctx),
});

/** Request params with `_meta` (when there is any) and a round's answers (when there are any). */
const withMeta = <P extends object>(
  params: P,
  meta: Record<string, unknown>,
  answers: RoundAnswers | undefined,
): P => ({ ...params, ...(Object.keys(meta).length > 0 ? { _meta: meta } : {}), ...answers });

/** The caller's trace context as `_meta` entries, so the upstream's spans join the caller's trace. */
const traceMeta = (ctx: PluginCallContext): Record<string, string> =>
  ctx.trace
    ? {
        traceparent: ctx.trace.traceparent,
        ...(ctx.trace.tracestate ? { tracestate: ctx.trace.tracestate } : {}),
      }
    : {};

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
  /** The deadline of one forwarded request now: the host's, else the bridge's own `timeouts.callMs`. */
  #callTimeoutMs(): number {
    return this.#hooks.callTimeoutMs?.() ?? this.options.timeouts.callMs;
  }
  #client: Client | undefined;
  #transport: OrderedTransport | undefined;
  #lists: UpstreamLists = { tools: [], resources: [], resourceTemplates: [], prompts: [] };
  #visibleTools: Tool[] = [];
  readonly #subscriptions = new ResourceSubscriptions(
    {
      subscribe: (uri) => this.#subscribeUpstream(uri),
      unsubscribe: (uri) => this.#unsubscribeUpstream(uri),
    },
    () => this.logger,
  );
  #stopping = false;
  #failedRestarts = 0;
  /** Retrying a start that never succeeded: the bridge stays `failed` (not `degraded`) until it connects. */
  #retryingStart = false;
  #restartTimer: NodeJS.Timeout | undefined;
  #closeReason: string | undefined;
  readonly #inFlight = new Set<PluginCallContext>();
  /** The verdict the next connection starts from: the configured prior, then what the last connection found. */
  #prior: UpstreamEraVerdict | undefined;
  #era: UpstreamEra | undefined;
  /** 2026-era change notifications arrive on `subscriptions/listen` streams, one for lists and one per resource. */
  #listChanges: McpSubscription | undefined;
  readonly #resourceStreams = new Map<string, McpSubscription>();

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
    this.#prior = this.options.protocol.prior;
  }

  /**
   * The protocol era the upstream speaks, as found by the current (or last) connection: persist it and pass
   * it back as `protocol.prior` so the next start skips the probe. Undefined until the first connection.
   */
  upstreamEra(): UpstreamEra | undefined {
    return this.#era;
  }

  /** The upstream process id, for stdio upstreams that are running. */
  get upstreamPid(): number | undefined {
    return this.#processTransport()?.pid;
  }

  #processTransport(): StdioProcessTransport | undefined {
    const inner = this.#transport?.inner;
    return inner instanceof StdioProcessTransport ? inner : undefined;
  }

  protected override get validatesToolNames(): boolean {
    return false;
  }

  protected override async initialize(): Promise<void> {
    // A second start (after a failure or a shutdown) replaces the old connection instead of leaking it.
    clearTimeout(this.#restartTimer);
    this.#stopping = true;
    await this.#client?.close().catch(() => {});
    this.#stopping = false;
    this.#failedRestarts = 0;
    this.#retryingStart = false;
    try {
      await this.#connect();
    } catch (error) {
      this.#retryFailedStart(error);
      throw error;
    }
    await this.#resubscribeAll();
  }

  /**
   * A first `initialize` that times out or ends with the process gets the same bounded, backed-off restarts as
   * a crash, so a server that is slow on its first start (an `npx -y` download) comes up by itself. Start still
   * rejects, so the host records the failure; its `shutdown()` stops the retries. Anything else (a refusal, a
   * protocol version the client cannot speak) would fail the same way again, so it stays failed.
   */
  #retryFailedStart(error: unknown): void {
    const transient =
      PluginError.isInstance(error, "UPSTREAM_TIMEOUT") || PluginError.isInstance(error, "UPSTREAM_CLOSED");
    if (this.#stopping || !transient) return;
    this.logger.warn("upstream failed to start; retrying with backoff", { error: errorMessage(error) });
    this.#retryingStart = true;
    this.#scheduleRestart();
  }

  protected getTools(): Tool[] {
    return this.#visibleTools;
  }

  protected override getResources(): Resource[] {
    return this.#lists.resources;
  }

  protected override getResourceTemplates(): ResourceTemplate[] {
    return this.#lists.resourceTemplates;
  }

  protected override getPrompts(): Prompt[] {
    return this.#lists.prompts;
  }

  protected execute(
    name: string,
    args: Record<string, unknown>,
    ctx: PluginCallContext,
  ): Promise<CallToolResult> {
    let forwarded = args;
    const policy = this.#hooks.policy;
    if (policy) {
      const tool = this.#lists.tools.find((candidate) => candidate.name === name);
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
    if (!this.#client?.getServerCapabilities()?.completions)
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
    if (status.state !== "ready" || !this.#client) {
      return { healthy: false, message: status.lastError?.message ?? `upstream is ${status.state}`, details };
    }
    try {
      // 2026-07-28 has no ping; `server/discover` is the cheapest request both sides must answer.
      const options = { timeout: this.#callTimeoutMs() };
      if (this.#client.getProtocolEra() === "modern") await this.#client.discover(options);
      else await this.#client.ping(options);
      return { healthy: true, details };
    } catch (error) {
      return { healthy: false, message: `ping failed: ${errorMessage(error)}`, details };
    }
  }

  override async shutdown(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#restartTimer);
    const client = this.#client;
    this.#client = undefined;
    const inner = this.#transport?.inner;
    // End 2026-era listen streams with the request's cancellation, not a dropped connection.
    await this.#listChanges?.close().catch(() => {});
    this.#listChanges = undefined;
    // Tell a Streamable HTTP server to drop our session rather than leave it to expire.
    if (client && inner instanceof StreamableHTTPClientTransport)
      await inner.terminateSession().catch(() => {});
    await client?.close().catch(() => {});
    this.#transport = undefined;
    await super.shutdown();
  }

  /**
   * Sends one caller's request upstream. Kept free of `async` frames and per-call strings: it is on every
   * call's path, and the operation's description is only built when the call fails.
   */
  #request<T>(
    method: string,
    subject: string | undefined,
    ctx: PluginCallContext,
    send: (client: Client, options: RequestOptions) => Promise<T>,
  ): Promise<T> {
    const client = this.#client;
    if (!client || this.currentState !== "ready") {
      const state = this.getStatus();
      const reason = state.lastError ? `; last error: ${state.lastError.message}` : "";
      return Promise.reject(
        new UpstreamUnavailableError(`Upstream '${this.metadata.name}' is ${state.state}${reason}`),
      );
    }
    const inFlight = this.#inFlight;
    const fail = (error: unknown): never => {
      inFlight.delete(ctx);
      throw describeUpstreamFailure(error, {
        upstream: this.metadata.name,
        operation: subject === undefined ? method : `${method} '${subject}'`,
        timeoutMs: this.#callTimeoutMs(),
        signal: ctx.signal,
        closeReason: this.#closeReason,
      });
    };
    inFlight.add(ctx);
    let sent: Promise<T>;
    try {
      // Asking the upstream for progress costs a token and a handler per request; skip both when nobody listens.
      sent = send(
        client,
        ctx.wantsProgress === false
          ? { signal: ctx.signal, timeout: this.#callTimeoutMs() }
          : {
              signal: ctx.signal,
              timeout: this.#callTimeoutMs(),
              onprogress: (progress) =>
                void ctx.reportProgress(progress.progress, progress.total, progress.message),
            },
      );
    } catch (error) {
      return Promise.reject(error).catch(fail);
    }
    return sent.then((result) => {
      inFlight.delete(ctx);
      return result;
    }, fail);
  }

  async #subscribeUpstream(uri: string): Promise<void> {
    const client = this.#client;
    if (!client || this.currentState !== "ready") {
      throw new UpstreamUnavailableError(
        `Cannot subscribe to '${uri}': upstream '${this.metadata.name}' is ${this.currentState}`,
      );
    }
    if (!client.getServerCapabilities()?.resources?.subscribe) {
      throw new PluginError(
        "RESOURCE_SUBSCRIBE_UNSUPPORTED",
        `Cannot subscribe to '${uri}': upstream '${this.metadata.name}' does not offer resource subscriptions (no resources.subscribe capability)`,
      );
    }
    const options = { timeout: this.#callTimeoutMs() };
    try {
      if (client.getProtocolEra() !== "modern") {
        await client.subscribeResource({ uri }, options);
        return;
      }
      const stream = await client.listen({ resourceSubscriptions: [uri] }, options);
      if (!stream.honoredFilter.resourceSubscriptions?.includes(uri)) {
        await stream.close();
        throw new PluginError(
          "RESOURCE_SUBSCRIBE_UNSUPPORTED",
          `Cannot subscribe to '${uri}': upstream '${this.metadata.name}' did not accept the subscription`,
        );
      }
      await this.#resourceStreams.get(uri)?.close();
      this.#resourceStreams.set(uri, stream);
    } catch (error) {
      throw this.#describe(error, `resources/subscribe '${uri}'`);
    }
  }

  async #unsubscribeUpstream(uri: string): Promise<void> {
    const client = this.#client;
    // With no live connection there is nothing to undo: the upstream's subscription ended with it.
    if (!client || this.currentState !== "ready") return;
    try {
      const stream = this.#resourceStreams.get(uri);
      this.#resourceStreams.delete(uri);
      if (stream) await stream.close();
      else await client.unsubscribeResource({ uri }, { timeout: this.#callTimeoutMs() });
    } catch (error) {
      this.logger.warn("upstream unsubscribe failed", { uri, error: errorMessage(error) });
    }
  }

  async #resubscribeAll(): Promise<void> {
    for (const uri of this.#subscriptions.uris()) {
      await this.#subscribeUpstream(uri).catch((error: unknown) =>
        this.logger.warn("resubscribing after restart failed", { uri, error: errorMessage(error) }),
      );
    }
  }

  #describe(error: unknown, operation: string): PluginError {
    return describeUpstreamFailure(error, {
      upstream: this.metadata.name,
      operation,
      timeoutMs: this.#callTimeoutMs(),
      signal: new AbortController().signal,
      closeReason: this.#closeReason,
    });
  }

  #setLists(lists: UpstreamLists): void {
    this.#lists = lists;
    const policy = this.#hooks.policy;
    this.#visibleTools = policy
      ? lists.tools.filter((tool) => policy.hideReason(tool) === undefined)
      : lists.tools;
  }

  async #connect(): Promise<void> {
    // A start being retried stays `failed`, with its last error, until it connects: it has no lists to serve.
    if (!this.#retryingStart) this.setState("connecting");
    const prior = this.#prior;
    try {
      await this.#open(prior);
    } catch (error) {
      if (PluginError.isInstance(error, "UPSTREAM_REFUSED")) throw error;
      // Shutdown closed the connection being made: retrying would start an upstream nobody stops.
      if (this.#stopping) {
        this.logger.info("upstream connect abandoned: the bridge is stopping", {
          error: errorMessage(error),
        });
        throw error;
      }
      if (prior === undefined && closedOnProbe(error)) {
        // Some stdio servers end on any request before `initialize` (rmcp-based ones do). The SDK probes its
        // own stdio transport on a throwaway process for that reason; this transport probes in place, so the
        // bridge starts the server again and skips the probe.
        this.logger.warn(
          "upstream closed the connection on the protocol probe; connecting to it as a 2025 server",
          {
            error: errorMessage(error),
          },
        );
        await this.#open({ era: "legacy" });
        return;
      }
      if (prior === undefined) throw error;
      // The upstream may have changed era since the verdict was taken: drop it and probe afresh.
      this.#prior = undefined;
      this.logger.warn("connecting with the known protocol era failed; probing the upstream", {
        era: prior.era,
        error: errorMessage(error),
      });
      await this.#open(undefined);
    }
  }

  async #open(prior: UpstreamEraVerdict | undefined): Promise<void> {
    this.#closeReason = undefined;
    this.#listChanges = undefined;
    this.#resourceStreams.clear();
    const transport = this.#createTransport();
    const client = this.#createClient(transport);
    this.#transport = transport;
    this.#client = client;
    const timeout = this.options.timeouts.connectMs;
    try {
      await client.connect(transport, prior ? { timeout, prior: toPriorDiscovery(prior) } : { timeout });
      const info = client.getServerVersion();
      const refusal = info ? this.#hooks.acceptServer?.(info) : undefined;
      if (refusal !== undefined)
        throw new UpstreamRefusedError(`Upstream '${this.metadata.name}' was refused: ${refusal}`);
      this.#setLists(await fetchUpstreamLists(client, timeout));
    } catch (error) {
      this.#client = undefined;
      await client.close().catch(() => {});
      this.#transport = undefined;
      throw describeUpstreamFailure(error, {
        upstream: this.metadata.name,
        operation: "initialize",
        timeoutMs: timeout,
        signal: new AbortController().signal,
        closeReason: this.#closeReason,
        closedByPeer: transport.closedByPeer,
      });
    }
    await this.#listenForListChanges(client);
    this.#era = readUpstreamEra(client);
    this.#prior = this.#era;
    client.onclose = () => this.#onUnexpectedClose(client);
    this.setState("ready");
    this.logger.info("upstream connected", {
      server: client.getServerVersion()?.name,
      era: this.#era?.era,
      protocolVersion: this.#era?.protocolVersion,
      tools: this.#lists.tools.length,
      pid: this.upstreamPid,
    });
  }

  /** On a 2026-era connection list_changed notifications come only on a `subscriptions/listen` stream. */
  async #listenForListChanges(client: Client): Promise<void> {
    if (client.getProtocolEra() !== "modern") return;
    const caps = client.getServerCapabilities() ?? {};
    const filter = {
      ...(caps.tools?.listChanged ? { toolsListChanged: true } : {}),
      ...(caps.prompts?.listChanged ? { promptsListChanged: true } : {}),
      ...(caps.resources?.listChanged ? { resourcesListChanged: true } : {}),
    };
    if (Object.keys(filter).length === 0) return;
    try {
      this.#listChanges = await client.listen(filter, { timeout: this.options.timeouts.connectMs });
    } catch (error) {
      // The upstream still serves; its lists just go stale until the next restart.
      this.logger.warn("listening for upstream list changes failed", { error: errorMessage(error) });
    }
  }

  #createClient(transport: OrderedTransport): Client {
    const client = new BridgeClient(
      { name: "waygate-bridge", version: this.options.version },
      {
        capabilities: { sampling: {}, elicitation: {}, roots: {} },
        versionNegotiation: { mode: this.options.protocol.negotiation },
        listMaxPages: MAX_LIST_PAGES,
      },
    );
    // While the SDK probes the era it passes transport errors only to a handler set on the transport before
    // connect; afterwards it calls that handler and then the client's. Each error is logged once.
    const seen = new WeakSet<Error>();
    const onError = (error: Error) => {
      if (seen.has(error)) return;
      seen.add(error);
      this.logger.warn("upstream transport error", { error: error.message });
      if ((error as { code?: string }).code === "UPSTREAM_MESSAGE_TOO_LARGE")
        this.#closeReason = error.message;
    };
    transport.onerror = onError;
    client.onerror = onError;
    const refresh = (kind: ListChangedKind) => () => void this.#refreshLists(client, kind);
    client.setNotificationHandler("notifications/tools/list_changed", refresh("tools"));
    client.setNotificationHandler("notifications/resources/list_changed", refresh("resources"));
    client.setNotificationHandler("notifications/prompts/list_changed", refresh("prompts"));
    client.setNotificationHandler("notifications/resources/updated", (notification) =>
      this.#subscriptions.notify(notification.params.uri),
    );
    client.setNotificationHandler("notifications/message", (notification) => this.#forwardLog(notification));
    const forward = <T>(what: string, signal: AbortSignal, ask: (handlers: ClientRequests) => Promise<T>) => {
      const handlers = this.#clientRequestHandlers(signal);
      if (!handlers) {
        throw new ProtocolError(
          ProtocolErrorCode.InvalidRequest,
          `No client is available to answer ${what} for '${this.metadata.name}'`,
        );
      }
      return ask(handlers);
    };
    // On a 2026-era connection the same handlers answer the `input_required` rounds of a call.
    // The SDK answers a round of a call with that call's own abort signal in the handler's context, which names
    // the call even when several are in flight.
    client.setRequestHandler("sampling/createMessage", (request, ctx) =>
      forward("sampling/createMessage", ctx.mcpReq.signal, (h) => h.createMessage(request.params)),
    );
    client.setRequestHandler("elicitation/create", (request, ctx) =>
      forward("elicitation/create", ctx.mcpReq.signal, (h) => h.elicitInput(request.params)),
    );
    client.setRequestHandler("roots/list", (_request, ctx) =>
      forward("roots/list", ctx.mcpReq.signal, (h) => h.listRoots()),
    );
    return client;
  }

  #createTransport(): OrderedTransport {
    return new OrderedTransport(this.#createRawTransport());
  }

  #createRawTransport(): Transport {
    const spec = this.options.transport;
    if (spec.type === "stdio") {
      const stderrLogger = this.logger.child({ stream: "stderr" });
      return new StdioProcessTransport({
        command: spec.command,
        args: spec.args,
        env: spec.env,
        cwd: spec.cwd,
        maxMessageBytes: this.options.maxMessageBytes,
        killGraceMs: this.options.timeouts.killGraceMs,
        ownProcessGroup: spec.ownProcessGroup,
        onStderrLine: (line) => stderrLogger.info("upstream stderr", { line }),
      });
    }
    const options = {
      requestInit: { headers: spec.headers },
      ...(this.#hooks.fetch ? { fetch: this.#hooks.fetch } : {}),
      ...(this.#hooks.authProvider ? { authProvider: this.#hooks.authProvider } : {}),
    };
    return spec.type === "http"
      ? new StreamableHTTPClientTransport(new URL(spec.url), options)
      : new SSEClientTransport(new URL(spec.url), options);
  }

  /** A call's own client when it is the only one in flight, else the host's handler: never another caller's. */
  /**
   * Sends a request that may come back `input_required`. On a 2026-07-28 connection the bridge answers the rounds
   * itself with this call's client (`withInputRounds`); on a 2025 one `send` runs once, and the upstream's requests
   * reach the client through the handlers set on the SDK client.
   */
  #rounds<R>(
    client: Client,
    ctx: PluginCallContext,
    send: (answers: RoundAnswers | undefined, manual: { allowInputRequired?: true }) => Promise<unknown>,
  ): Promise<R> {
    if (client.getProtocolEra() !== "modern") return send(undefined, {}) as Promise<R>;
    return withInputRounds<R>(
      (answers) => send(answers, { allowInputRequired: true }) as Promise<R>,
      ctx.clientRequests ?? this.#hooks.clientRequests,
      this.metadata.name,
    );
  }

  /**
   * Who answers a request of the upstream: the call whose abort signal the request came with (a 2026-07-28
   * `input_required` round), else the only call in flight (a 2025 server-to-client request names no call), else the
   * plugin's own hook.
   */
  #clientRequestHandlers(signal: AbortSignal): ClientRequests | undefined {
    for (const call of this.#inFlight)
      if (call.signal === signal && call.clientRequests) return call.clientRequests;
    if (this.#inFlight.size === 1) {
      const [only] = this.#inFlight;
      if (only?.clientRequests) return only.clientRequests;
    }
    return this.#hooks.clientRequests;
  }

  #forwardLog(notification: LoggingMessageNotification): void {
    const { level, data, logger } = notification.params;
    const method = level in LOG_LEVELS ? LOG_LEVELS[level as keyof typeof LOG_LEVELS] : "error";
    this.logger[method]("upstream log", { level, logger, data });
    if (this.#inFlight.size === 1) {
      const [only] = this.#inFlight;
      void only?.log?.(level, data);
    }
  }

  async #refreshLists(client: Client, kind: ListChangedKind): Promise<void> {
    try {
      this.#setLists(await fetchUpstreamLists(client, this.options.timeouts.connectMs));
      this.notifyListChanged(kind);
    } catch (error) {
      this.logger.warn("refreshing upstream lists failed", { kind, error: errorMessage(error) });
    }
  }

  #onUnexpectedClose(client: Client): void {
    if (this.#stopping || this.#client !== client) return;
    this.#client = undefined;
    const exit = this.#processTransport()?.exit;
    const exitText = exit
      ? `exited with ${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`}`
      : "closed";
    this.#closeReason = this.#closeReason
      ? `${this.#closeReason}; upstream ${exitText}`
      : `upstream ${exitText}`;
    this.setState(
      "degraded",
      new UpstreamUnavailableError(`Upstream '${this.metadata.name}': ${this.#closeReason}`),
    );
    this.logger.warn("upstream connection lost", { reason: this.#closeReason });
    this.#scheduleRestart();
  }

  #scheduleRestart(): void {
    const { maxAttempts } = this.options.restart;
    if (this.#failedRestarts >= maxAttempts) {
      this.setState(
        "failed",
        new UpstreamUnavailableError(
          `Upstream '${this.metadata.name}' gave up after ${maxAttempts} restart attempts; last: ${this.getStatus().lastError?.message}`,
        ),
      );
      return;
    }
    const attempt = this.#failedRestarts + 1;
    const delay = restartDelayMs(attempt, this.options.restart);
    this.logger.info("restarting upstream", { attempt, delayMs: delay });
    this.#restartTimer = setTimeout(() => void this.#restart(attempt), delay);
    this.#restartTimer.unref();
  }

  async #restart(attempt: number): Promise<void> {
    if (this.#stopping) return;
    try {
      await this.#connect();
      this.#failedRestarts = 0;
      this.#retryingStart = false;
      await this.#resubscribeAll();
      this.countRestart();
      this.logger.info("upstream restarted", { attempt });
      for (const kind of ["tools", "resources", "prompts"] as const) this.notifyListChanged(kind);
    } catch (error) {
      if (this.#stopping) return;
      this.#failedRestarts = attempt;
      this.setState(this.#retryingStart ? "failed" : "degraded", error);
      this.logger.warn("upstream restart failed", { attempt, error: errorMessage(error) });
      this.#scheduleRestart();
    }
  }
}
