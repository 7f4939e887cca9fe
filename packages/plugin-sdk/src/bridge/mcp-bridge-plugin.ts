import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  type CallToolResult,
  type CompleteRequestParams,
  type CompleteResult,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  type GetPromptResult,
  ListRootsRequestSchema,
  type LoggingMessageNotification,
  LoggingMessageNotificationSchema,
  McpError,
  type Prompt,
  PromptListChangedNotificationSchema,
  type ReadResourceResult,
  type Resource,
  ResourceListChangedNotificationSchema,
  type ResourceTemplate,
  ResourceUpdatedNotificationSchema,
  type Tool,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { BasePlugin } from "../base-plugin.js";
import { errorMessage, PluginConfigError, PluginError, UpstreamUnavailableError } from "../errors.js";
import type { PluginMetadata } from "../metadata.js";
import type { ClientRequests, ListChangedKind, PluginCallContext, PluginHealth } from "../plugin.js";
import { errorResult } from "../results.js";
import { formatZodIssues } from "../zod-issues.js";
import { restartDelayMs } from "./backoff.js";
import { type McpBridgeOptions, type McpBridgeOptionsInput, McpBridgeOptionsSchema } from "./options.js";
import { OrderedTransport } from "./ordered-transport.js";
import { type BridgePolicy, deniedResult, policyDenyReason } from "./policy.js";
import { ResourceSubscriptions } from "./resource-subscriptions.js";
import { StdioProcessTransport } from "./stdio-process-transport.js";
import { describeUpstreamFailure } from "./upstream-failure.js";
import { fetchUpstreamLists, type UpstreamLists } from "./upstream-lists.js";

/** Host-supplied extras that cannot live in JSON options. */
export interface McpBridgeHooks {
  /** Answers the upstream's sampling, elicitation and roots requests when no single call can take them. */
  clientRequests?: ClientRequests;
  /** Hides tools and denies calls before they reach the upstream; denials carry `_meta["waygate/denied"]`. */
  policy?: BridgePolicy;
}

const LOG_LEVELS = { debug: "debug", info: "info", notice: "info", warning: "warn" } as const;

/**
 * A plugin that fronts an external MCP server (stdio, Streamable HTTP or legacy SSE) through the official
 * SDK client: it mirrors the upstream's tools, resources and prompts, forwards calls with a timeout and
 * cancellation, and keeps the upstream alive with bounded, jittered restarts.
 */
export class McpBridgePlugin extends BasePlugin {
  readonly metadata: PluginMetadata;
  readonly options: McpBridgeOptions;
  readonly #hooks: McpBridgeHooks;
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
  #restartTimer: NodeJS.Timeout | undefined;
  #closeReason: string | undefined;
  readonly #inFlight = new Set<PluginCallContext>();

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
    await this.#connect();
    await this.#resubscribeAll();
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
    return this.#request("tools/call", name, ctx, (client, options) =>
      client.callTool({ name, arguments: forwarded }, undefined, options),
    ).then(
      (result) => result as CallToolResult,
      (error: unknown) => errorResult(errorMessage(error)),
    );
  }

  protected override onReadResource(uri: string, ctx: PluginCallContext): Promise<ReadResourceResult> {
    return this.#request("resources/read", uri, ctx, (client, options) =>
      client.readResource({ uri }, options),
    );
  }

  protected override onGetPrompt(
    name: string,
    args: Record<string, string>,
    ctx: PluginCallContext,
  ): Promise<GetPromptResult> {
    return this.#request("prompts/get", name, ctx, (client, options) =>
      client.getPrompt({ name, arguments: args }, options),
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
  subscribeResource(uri: string, onUpdated: () => void): Promise<() => Promise<void>> {
    return this.#subscriptions.add(uri, onUpdated);
  }

  override async healthCheck(): Promise<PluginHealth> {
    const status = this.getStatus();
    const details = { state: status.state, restarts: status.restarts };
    if (status.state !== "ready" || !this.#client) {
      return { healthy: false, message: status.lastError?.message ?? `upstream is ${status.state}`, details };
    }
    try {
      await this.#client.ping({ timeout: this.options.timeouts.callMs });
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
    send: (client: Client, options: Parameters<Client["request"]>[2]) => Promise<T>,
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
        timeoutMs: this.options.timeouts.callMs,
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
          ? { signal: ctx.signal, timeout: this.options.timeouts.callMs }
          : {
              signal: ctx.signal,
              timeout: this.options.timeouts.callMs,
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
    try {
      await client.subscribeResource({ uri }, { timeout: this.options.timeouts.callMs });
    } catch (error) {
      throw this.#describe(error, `resources/subscribe '${uri}'`);
    }
  }

  async #unsubscribeUpstream(uri: string): Promise<void> {
    const client = this.#client;
    // With no live connection there is nothing to undo: the upstream's subscription ended with it.
    if (!client || this.currentState !== "ready") return;
    try {
      await client.unsubscribeResource({ uri }, { timeout: this.options.timeouts.callMs });
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
      timeoutMs: this.options.timeouts.callMs,
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
    this.setState("connecting");
    this.#closeReason = undefined;
    const transport = this.#createTransport();
    const client = this.#createClient();
    this.#transport = transport;
    this.#client = client;
    try {
      await client.connect(transport, { timeout: this.options.timeouts.connectMs });
      this.#setLists(await fetchUpstreamLists(client, this.options.timeouts.connectMs));
    } catch (error) {
      this.#client = undefined;
      await client.close().catch(() => {});
      this.#transport = undefined;
      throw describeUpstreamFailure(error, {
        upstream: this.metadata.name,
        operation: "initialize",
        timeoutMs: this.options.timeouts.connectMs,
        signal: new AbortController().signal,
        closeReason: this.#closeReason,
      });
    }
    client.onclose = () => this.#onUnexpectedClose(client);
    this.setState("ready");
    this.logger.info("upstream connected", {
      server: client.getServerVersion()?.name,
      tools: this.#lists.tools.length,
      pid: this.upstreamPid,
    });
  }

  #createClient(): Client {
    const client = new Client(
      { name: "waygate-bridge", version: this.options.version },
      { capabilities: { sampling: {}, elicitation: {}, roots: {} } },
    );
    client.onerror = (error) => {
      this.logger.warn("upstream transport error", { error: error.message });
      if ((error as { code?: string }).code === "UPSTREAM_MESSAGE_TOO_LARGE")
        this.#closeReason = error.message;
    };
    const refresh = (kind: ListChangedKind) => () => void this.#refreshLists(client, kind);
    client.setNotificationHandler(ToolListChangedNotificationSchema, refresh("tools"));
    client.setNotificationHandler(ResourceListChangedNotificationSchema, refresh("resources"));
    client.setNotificationHandler(PromptListChangedNotificationSchema, refresh("prompts"));
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) =>
      this.#subscriptions.notify(notification.params.uri),
    );
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) =>
      this.#forwardLog(notification),
    );
    const forward = <T>(what: string, ask: (handlers: ClientRequests) => Promise<T>) => {
      const handlers = this.#clientRequestHandlers();
      if (!handlers) {
        throw new McpError(
          ErrorCode.InvalidRequest,
          `No client is available to answer ${what} for '${this.metadata.name}'`,
        );
      }
      return ask(handlers);
    };
    client.setRequestHandler(CreateMessageRequestSchema, (request) =>
      forward("sampling/createMessage", (h) => h.createMessage(request.params)),
    );
    client.setRequestHandler(ElicitRequestSchema, (request) =>
      forward("elicitation/create", (h) => h.elicitInput(request.params)),
    );
    client.setRequestHandler(ListRootsRequestSchema, () => forward("roots/list", (h) => h.listRoots()));
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
    const requestInit = { headers: spec.headers };
    return spec.type === "http"
      ? new StreamableHTTPClientTransport(new URL(spec.url), { requestInit })
      : new SSEClientTransport(new URL(spec.url), { requestInit });
  }

  /** A call's own client when it is the only one in flight, else the host's handler: never another caller's. */
  #clientRequestHandlers(): ClientRequests | undefined {
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
      await this.#resubscribeAll();
      this.countRestart();
      this.logger.info("upstream restarted", { attempt });
      for (const kind of ["tools", "resources", "prompts"] as const) this.notifyListChanged(kind);
    } catch (error) {
      if (this.#stopping) return;
      this.#failedRestarts = attempt;
      this.setState("degraded", error);
      this.logger.warn("upstream restart failed", { attempt, error: errorMessage(error) });
      this.#scheduleRestart();
    }
  }
}
