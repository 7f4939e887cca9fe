import { randomUUID } from "node:crypto";
import type {
  CallToolResult,
  CompleteRequestParams,
  CompleteResult,
  GetPromptResult,
  LoggingLevel,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplateType as ResourceTemplate,
  Tool,
} from "@modelcontextprotocol/client";
import { isWaygatePlugin } from "../brand.js";
import { PluginInvalidError } from "../errors.js";
import { createMemoryLogger, type LogRecord } from "../logger.js";
import type { CallContext, Caller, ClientRequests, PluginStatus, WaygatePlugin } from "../plugin.js";

/** Options for {@link createTestHarness}. */
export interface TestHarnessOptions {
  /** Raw config passed to the plugin's start (validated by its schema). */
  config?: unknown;
  /** Identity used for calls; defaults to key "test-key" with no scopes. */
  caller?: Caller;
  hostVersion?: string;
  /** Answers server-to-client requests (sampling, elicitation, roots) made during calls. */
  clientRequests?: ClientRequests;
}

/** Per-call options. */
export interface CallOptions {
  signal?: AbortSignal;
  caller?: Caller;
  /** Answers this call's server-to-client requests, instead of the harness-wide `clientRequests`. */
  clientRequests?: ClientRequests;
  /** Passed on as the context's `wantsProgress` (`false`: the caller asked for no progress updates). */
  wantsProgress?: boolean;
}

/** One progress report captured during a call. */
export interface ProgressEvent {
  progress: number;
  total?: number;
  message?: string;
}

/** A started plugin with helpers to drive it the way a host would, without a server or database. */
export interface TestHarness {
  readonly plugin: WaygatePlugin;
  /** Every log line the plugin wrote, with its bindings (plugin, tool, requestId). */
  readonly logs: LogRecord[];
  /** Progress reports from the most recent calls, in order. */
  readonly progress: ProgressEvent[];
  /** MCP logging notifications the plugin sent to the caller. */
  readonly notifications: { level: LoggingLevel; data: unknown }[];
  listTools(): Promise<Tool[]>;
  callTool(name: string, args?: Record<string, unknown>, options?: CallOptions): Promise<CallToolResult>;
  listResources(): Promise<Resource[]>;
  listResourceTemplates(): Promise<ResourceTemplate[]>;
  readResource(uri: string, options?: CallOptions): Promise<ReadResourceResult>;
  listPrompts(): Promise<Prompt[]>;
  getPrompt(name: string, args?: Record<string, string>, options?: CallOptions): Promise<GetPromptResult>;
  /** Asks for argument completions (prompt arguments or resource template variables). */
  complete(params: CompleteRequestParams, options?: CallOptions): Promise<CompleteResult>;
  status(): PluginStatus;
  /** Shuts the plugin down; safe to call twice. */
  close(): Promise<void>;
}

/** Starts a plugin (instance, class or definePlugin result) in memory and returns helpers to drive it. */
export async function createTestHarness(
  pluginOrClass: WaygatePlugin | (new () => WaygatePlugin),
  options: TestHarnessOptions = {},
): Promise<TestHarness> {
  const plugin = typeof pluginOrClass === "function" ? new pluginOrClass() : pluginOrClass;
  if (!isWaygatePlugin(plugin)) {
    throw new PluginInvalidError("createTestHarness needs a plugin made with BasePlugin or definePlugin");
  }
  const logger = createMemoryLogger();
  const progress: ProgressEvent[] = [];
  const notifications: { level: LoggingLevel; data: unknown }[] = [];
  const defaultCaller = options.caller ?? { keyId: "test-key", scopes: [] };
  const contextFor = (callOptions: CallOptions = {}): CallContext => ({
    signal: callOptions.signal ?? new AbortController().signal,
    caller: callOptions.caller ?? defaultCaller,
    requestId: randomUUID(),
    reportProgress: (value, total, message) => {
      progress.push({
        progress: value,
        ...(total === undefined ? {} : { total }),
        ...(message === undefined ? {} : { message }),
      });
    },
    log: (level, data) => {
      notifications.push({ level, data });
    },
    ...(callOptions.wantsProgress === undefined ? {} : { wantsProgress: callOptions.wantsProgress }),
    ...(callOptions.clientRequests || options.clientRequests
      ? { clientRequests: callOptions.clientRequests ?? options.clientRequests }
      : {}),
  });

  await plugin.start({ config: options.config, logger, hostVersion: options.hostVersion });
  let closed = false;
  return {
    plugin,
    logs: logger.records,
    progress,
    notifications,
    listTools: () => plugin.listTools(),
    callTool: (name, args = {}, callOptions) => plugin.callTool(name, args, contextFor(callOptions)),
    listResources: () => plugin.listResources(),
    listResourceTemplates: () => plugin.listResourceTemplates(),
    readResource: (uri, callOptions) => plugin.readResource(uri, contextFor(callOptions)),
    listPrompts: () => plugin.listPrompts(),
    getPrompt: (name, args = {}, callOptions) => plugin.getPrompt(name, args, contextFor(callOptions)),
    complete: (params, callOptions) => plugin.complete(params, contextFor(callOptions)),
    status: () => plugin.getStatus(),
    async close() {
      if (closed) return;
      closed = true;
      await plugin.shutdown();
    },
  };
}
