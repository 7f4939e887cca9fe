import type {
  CallToolResult,
  ClientCapabilities,
  CompleteRequestParams,
  CompleteResult,
  CreateMessageRequestParams,
  CreateMessageResult,
  ElicitRequestParams,
  ElicitResult,
  GetPromptResult,
  ListRootsResult,
  LoggingLevel,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplateType as ResourceTemplate,
  Tool,
} from "@modelcontextprotocol/client";
import type { PLUGIN_BRAND } from "./brand.js";
import type { Logger } from "./logger.js";
import type { PluginMetadata } from "./metadata.js";

/** Who is calling: the API key's id and scopes (never the key itself). `keyId` is null when auth is off. */
export interface Caller {
  keyId: string | null;
  scopes: readonly string[];
}

/**
 * How a request to the client came about. `key` is set when it is a question of an upstream's 2026-07-28
 * `input_required` round: the upstream's own name for it, which a host passes on to its client unchanged, and which
 * marks the question as one the call cannot do without (a client that did not declare the capability makes the call
 * fail with -32021, as the upstream itself would).
 */
export interface ClientRequestOptions {
  key?: string;
}

/** Requests a plugin may send back to the MCP client that made the call. */
export interface ClientRequests {
  createMessage(
    params: CreateMessageRequestParams,
    options?: ClientRequestOptions,
  ): Promise<CreateMessageResult>;
  elicitInput(params: ElicitRequestParams, options?: ClientRequestOptions): Promise<ElicitResult>;
  listRoots(options?: ClientRequestOptions): Promise<ListRootsResult>;
}

/** What the host passes with every call, read and prompt. */
export interface CallContext {
  /** Aborted when the caller cancels or the host's timeout fires. */
  signal: AbortSignal;
  caller: Caller;
  /** The host's id for this request, for logs and audit. */
  requestId: string;
  reportProgress(progress: number, total?: number, message?: string): void | Promise<void>;
  /**
   * `false` when the caller asked for no progress updates (its request had no progress token), so a plugin may
   * skip producing them; `undefined` when the host does not know, and progress is reported as usual.
   */
  wantsProgress?: boolean;
  /** Sends an MCP logging notification to the caller, when the host supports it. */
  log?(level: LoggingLevel, data: unknown): void | Promise<void>;
  clientRequests?: ClientRequests;
  /**
   * What the MCP client that made the call declared it can answer (`sampling`, `elicitation`, `roots`), when the host
   * knows; a bridge tells a 2026-07-28 upstream the same, so the upstream asks only what the client can answer.
   */
  clientCapabilities?: ClientCapabilities;
  /**
   * The W3C trace context the caller's request carried in `_meta` (`traceparent`, and `tracestate` if any), which a
   * plugin that calls further (the MCP bridge) passes on so one trace spans the hops.
   */
  trace?: TraceContext;
}

/** A W3C trace context, as MCP carries it in a request's `_meta`. */
export interface TraceContext {
  traceparent: string;
  tracestate?: string;
}

/** The call context a plugin's own code sees: the host's context plus its logger and validated config. */
export interface PluginCallContext<Config = unknown> extends CallContext {
  logger: Logger;
  config: Config;
}

/** What a host gives a plugin when starting it. */
export interface PluginStartOptions {
  /** Raw config for the plugin; validated against the plugin's `configSchema`. */
  config?: unknown;
  logger?: Logger;
  /** The host's version, checked against the plugin's `hostVersions` range. */
  hostVersion?: string;
}

/** What a plugin's `initialize` receives. */
export interface PluginInitContext<Config = unknown> {
  logger: Logger;
  config: Config;
  hostVersion: string | undefined;
}

/** Lifecycle state of a plugin or upstream, as the host shows it. */
export type PluginState = "idle" | "connecting" | "ready" | "degraded" | "failed" | "stopped";

/** The last error a plugin hit, kept for status pages. */
export interface PluginErrorInfo {
  code: string;
  message: string;
  at: string;
}

/** Current status of a plugin. */
export interface PluginStatus {
  state: PluginState;
  lastError?: PluginErrorInfo;
  /** Upstream restarts since start (bridges only; 0 for in-process plugins). */
  restarts: number;
}

/** Result of a health check. */
export interface PluginHealth {
  healthy: boolean;
  message?: string;
  details?: Record<string, unknown>;
}

/** Which list changed, for `onListChanged`. */
export type ListChangedKind = "tools" | "resources" | "prompts";

/**
 * The interface a host (the Waygate server, the test harness) drives. BasePlugin, definePlugin results and
 * McpBridgePlugin all implement it; hosts recognise it by the brand, not by `instanceof`.
 */
export interface WaygatePlugin {
  readonly [PLUGIN_BRAND]: true;
  readonly metadata: PluginMetadata;
  /** Validates config and host version, then runs the plugin's own initialisation. */
  start(options?: PluginStartOptions): Promise<void>;
  listTools(): Promise<Tool[]>;
  /**
   * Never throws for a tool failure: failures come back as results with `isError: true`. It throws a
   * `ClientCapabilityRequiredError` when the call needs a capability the calling client did not declare, which is
   * the client's error (-32021), not the tool's.
   */
  callTool(name: string, args: Record<string, unknown>, ctx: CallContext): Promise<CallToolResult>;
  listResources(): Promise<Resource[]>;
  listResourceTemplates(): Promise<ResourceTemplate[]>;
  readResource(uri: string, ctx: CallContext): Promise<ReadResourceResult>;
  listPrompts(): Promise<Prompt[]>;
  getPrompt(name: string, args: Record<string, string>, ctx: CallContext): Promise<GetPromptResult>;
  complete(params: CompleteRequestParams, ctx: CallContext): Promise<CompleteResult>;
  /** Subscribes to list changes; returns the function that unsubscribes. */
  onListChanged(listener: (kind: ListChangedKind) => void): () => void;
  /**
   * Subscribes to updates of one resource (forwarded upstream by bridges); `onUpdated` runs on every
   * `notifications/resources/updated` for `uri`. Resolves to the function that unsubscribes.
   */
  subscribeResource?(uri: string, onUpdated: () => void): Promise<() => Promise<void>>;
  /**
   * Hears every update of any of this plugin's resources (hosts fan them out to 2026-07-28 listeners, whose
   * subscriptions name the URIs they want); returns the function that stops listening.
   */
  onResourceUpdated?(listener: (uri: string) => void): () => void;
  getStatus(): PluginStatus;
  /** Calls `listener` with the new status whenever the state or restart count changes; returns the unsubscriber. */
  onStatusChange?(listener: (status: PluginStatus) => void): () => void;
  healthCheck(): Promise<PluginHealth>;
  shutdown(): Promise<void>;
}
