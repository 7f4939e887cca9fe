import type {
  CallToolResult,
  CompleteRequestParams,
  CompleteResult,
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplateType as ResourceTemplate,
  Tool,
} from "@modelcontextprotocol/client";
import type { z } from "zod";
import { PLUGIN_BRAND } from "./brand.js";
import { CallCancelledError, NotFoundError } from "./errors.js";
import {
  createListChangedEmitter,
  createStatusEmitter,
  createStatusTracker,
  resolveStartOptions,
  withPluginContext,
} from "./lifecycle.js";
import { createSilentLogger, type Logger } from "./logger.js";
import { assertValidToolNames, type PluginMetadata, validatePluginMetadata } from "./metadata.js";
import type {
  CallContext,
  PluginCallContext,
  PluginHealth,
  PluginInitContext,
  PluginStartOptions,
  WaygatePlugin,
} from "./plugin.js";
import { createResourceUpdates } from "./resource-updates.js";
import { errorResult, thrownToolResult, toCallToolResult } from "./results.js";
import { type ConfiguredTool, type DefinedTool, tool } from "./tool.js";
import { formatZodIssues } from "./zod-issues.js";

/** A resource served by a definePlugin plugin. */
export interface ResourceDefinition<Config = unknown> {
  resource: Resource;
  read(ctx: PluginCallContext<Config>): ReadResourceResult | Promise<ReadResourceResult>;
}

/** A prompt served by a definePlugin plugin. */
export interface PromptDefinition<Config = unknown> {
  prompt: Omit<Prompt, "name">;
  get(
    args: Record<string, string>,
    ctx: PluginCallContext<Config>,
  ): GetPromptResult | Promise<GetPromptResult>;
}

/** Everything a one-file plugin declares. */
export interface PluginDefinition<Config = unknown> extends PluginMetadata {
  /** Zod schema of this plugin's config; the host's config is validated against it at start. */
  config?: z.ZodType<Config>;
  /**
   * Tools keyed by name, each made with {@link tool}; or a function given a `tool` whose handlers see
   * `ctx.config` typed from the `config` schema.
   */
  tools?:
    | Record<string, DefinedTool<Config>>
    | ((tool: ConfiguredTool<Config>) => Record<string, DefinedTool<Config>>);
  resources?: ResourceDefinition<Config>[];
  resourceTemplates?: ResourceTemplate[];
  prompts?: Record<string, PromptDefinition<Config>>;
  initialize?(ctx: PluginInitContext<Config>): void | Promise<void>;
  healthCheck?(ctx: { logger: Logger; config: Config }): PluginHealth | Promise<PluginHealth>;
  shutdown?(ctx: { logger: Logger; config: Config }): void | Promise<void>;
}

/** The plugin object definePlugin returns: a WaygatePlugin with its typed config schema. */
export interface DefinedPlugin<Config = unknown> extends WaygatePlugin {
  readonly configSchema: z.ZodType<Config> | undefined;
  /** Tells subscribed clients (through the host) that the resource at `uri` changed; read it again to see how. */
  notifyResourceUpdated(uri: string): void;
  subscribeResource(uri: string, onUpdated: () => void): Promise<() => Promise<void>>;
  onResourceUpdated(listener: (uri: string) => void): () => void;
}

/** Defines a plugin from plain data and `tool()` definitions; validates metadata and tool names now. */
export function definePlugin<Config = unknown>(definition: PluginDefinition<Config>): DefinedPlugin<Config> {
  const metadata = validatePluginMetadata({
    name: definition.name,
    version: definition.version,
    description: definition.description,
    hostVersions: definition.hostVersions,
  });
  const tools =
    typeof definition.tools === "function"
      ? definition.tools(tool as ConfiguredTool<Config>)
      : (definition.tools ?? {});
  assertValidToolNames(metadata.name, Object.keys(tools));
  const toolList: Tool[] = Object.entries(tools).map(([name, defined]) => ({ name, ...defined.descriptor }));
  const prompts = definition.prompts ?? {};
  const promptList: Prompt[] = Object.entries(prompts).map(([name, defined]) => ({
    name,
    ...defined.prompt,
  }));

  let logger: Logger = createSilentLogger();
  let config = undefined as Config;
  const listChanged = createListChangedEmitter(() => logger);
  const resourceUpdates = createResourceUpdates(() => logger);
  const statusListeners = createStatusEmitter(() => logger);
  const status = createStatusTracker(() => statusListeners.emit(status.get()));
  const contextFor = (ctx: CallContext, bindings: Record<string, string>): PluginCallContext<Config> =>
    withPluginContext(ctx, logger, bindings, config);

  async function runTool(
    name: string,
    args: Record<string, unknown>,
    ctx: CallContext,
  ): Promise<CallToolResult> {
    const defined = tools[name];
    if (!defined) return errorResult(`Plugin '${metadata.name}' has no tool '${name}'`);
    const parsed = defined.inputSchema.safeParse(args ?? {});
    if (!parsed.success) {
      return errorResult(`Invalid arguments for tool '${name}': ${formatZodIssues(parsed.error.issues)}`);
    }
    if (ctx.signal.aborted)
      return errorResult(new CallCancelledError(`Call to '${name}' was cancelled`).message);
    const returned = await defined.handler(parsed.data, contextFor(ctx, { tool: name }));
    if (
      !defined.outputSchema ||
      (typeof returned === "object" && returned !== null && "content" in returned)
    ) {
      return toCallToolResult(returned);
    }
    const checked = defined.outputSchema.safeParse(returned);
    if (!checked.success) {
      return errorResult(
        `Tool '${name}' returned output that does not match its schema: ${formatZodIssues(checked.error.issues)}`,
      );
    }
    return toCallToolResult(checked.data);
  }

  return {
    get [PLUGIN_BRAND]() {
      return true as const;
    },
    metadata,
    configSchema: definition.config,
    async start(options: PluginStartOptions = {}) {
      status.set("connecting");
      try {
        const init = resolveStartOptions(metadata, definition.config, options);
        logger = init.logger;
        config = init.config;
        await definition.initialize?.(init);
        status.set("ready");
      } catch (error) {
        status.set("failed", error);
        throw error;
      }
    },
    listTools: async () => toolList.map((entry) => ({ ...entry })),
    async callTool(name, args, ctx) {
      try {
        return await runTool(name, args, ctx);
      } catch (error) {
        logger.warn("tool threw", { tool: name, requestId: ctx.requestId, error: String(error) });
        return thrownToolResult(name, error);
      }
    },
    listResources: async () => (definition.resources ?? []).map((entry) => ({ ...entry.resource })),
    listResourceTemplates: async () => [...(definition.resourceTemplates ?? [])],
    async readResource(uri, ctx) {
      const found = definition.resources?.find((entry) => entry.resource.uri === uri);
      if (!found)
        throw new NotFoundError("RESOURCE_NOT_FOUND", `Plugin '${metadata.name}' has no resource '${uri}'`);
      return found.read(contextFor(ctx, { resource: uri }));
    },
    listPrompts: async () => promptList.map((entry) => ({ ...entry })),
    async getPrompt(name, args, ctx) {
      const found = prompts[name];
      if (!found)
        throw new NotFoundError("PROMPT_NOT_FOUND", `Plugin '${metadata.name}' has no prompt '${name}'`);
      return found.get(args, contextFor(ctx, { prompt: name }));
    },
    complete: async (_params: CompleteRequestParams): Promise<CompleteResult> => ({
      completion: { values: [] },
    }),
    onListChanged: (listener) => listChanged.subscribe(listener),
    subscribeResource: (uri, onUpdated) => resourceUpdates.subscribe(uri, onUpdated),
    onResourceUpdated: (listener) => resourceUpdates.listen(listener),
    notifyResourceUpdated: (uri) => resourceUpdates.notify(uri),
    getStatus: () => status.get(),
    onStatusChange: (listener) => statusListeners.subscribe(listener),
    async healthCheck() {
      if (definition.healthCheck) return definition.healthCheck({ logger, config });
      return { healthy: status.get().state === "ready" };
    },
    async shutdown() {
      try {
        await definition.shutdown?.({ logger, config });
      } finally {
        status.set("stopped");
      }
    },
  };
}
