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
import { CallCancelledError, NotFoundError, PluginError } from "./errors.js";
import {
  createListChangedEmitter,
  createStatusEmitter,
  createStatusTracker,
  type ListChangedEmitter,
  resolveStartOptions,
  type StatusEmitter,
  type StatusTracker,
  withPluginContext,
} from "./lifecycle.js";
import { createSilentLogger, type Logger } from "./logger.js";
import { assertValidToolNames, type PluginMetadata, validatePluginMetadata } from "./metadata.js";
import type {
  CallContext,
  ListChangedKind,
  PluginCallContext,
  PluginHealth,
  PluginInitContext,
  PluginStartOptions,
  PluginStatus,
  WaygatePlugin,
} from "./plugin.js";
import { createResourceUpdates, type ResourceUpdates } from "./resource-updates.js";
import { errorResult, thrownToolResult } from "./results.js";

/**
 * Convenience base class for plugins: override `getTools` and `execute` (and optionally resources,
 * prompts, `initialize`, `healthCheck`, `shutdown`); the class handles config validation, status,
 * list_changed and turning exceptions into `isError` results.
 */
export abstract class BasePlugin<Config = unknown> implements WaygatePlugin {
  abstract readonly metadata: PluginMetadata;
  /** Zod schema for this plugin's config; the host's config is validated against it before `initialize`. */
  readonly configSchema?: z.ZodType<Config>;

  #logger: Logger = createSilentLogger();
  #config: Config | undefined;
  readonly #statusListeners: StatusEmitter = createStatusEmitter(() => this.#logger);
  readonly #status: StatusTracker = createStatusTracker(() => this.notifyStatusChanged());
  readonly #listChanged: ListChangedEmitter = createListChangedEmitter(() => this.#logger);
  readonly #resourceUpdates: ResourceUpdates = createResourceUpdates(() => this.#logger);

  get [PLUGIN_BRAND](): true {
    return true;
  }

  /** This plugin's logger (a child of the host's, bound to the plugin name); silent before start. */
  protected get logger(): Logger {
    return this.#logger;
  }

  /** This plugin's validated config; throws if read before start. */
  protected get config(): Config {
    if (this.#config === undefined && this.configSchema) {
      throw new PluginError(
        "PLUGIN_NOT_READY",
        `Plugin '${this.metadata.name}' read its config before start`,
      );
    }
    return this.#config as Config;
  }

  /** Runs once after config validation; throw to fail the plugin's start. */
  protected initialize(_ctx: PluginInitContext<Config>): void | Promise<void> {}

  /** The tools this plugin offers, with JSON Schema input schemas. */
  protected abstract getTools(): Tool[] | Promise<Tool[]>;

  /** Runs one tool. Return a result with `isError: true` for a tool failure; a throw becomes one too. */
  protected abstract execute(
    toolName: string,
    args: Record<string, unknown>,
    ctx: PluginCallContext<Config>,
  ): Promise<CallToolResult>;

  /** The resources this plugin offers; none by default. */
  protected getResources(): Resource[] | Promise<Resource[]> {
    return [];
  }

  /** The resource templates this plugin offers; none by default. */
  protected getResourceTemplates(): ResourceTemplate[] | Promise<ResourceTemplate[]> {
    return [];
  }

  /** Reads one resource; throw a NotFoundError for an unknown URI. */
  protected onReadResource(uri: string, _ctx: PluginCallContext<Config>): Promise<ReadResourceResult> {
    return Promise.reject(
      new NotFoundError("RESOURCE_NOT_FOUND", `Plugin '${this.metadata.name}' has no resource '${uri}'`),
    );
  }

  /** The prompts this plugin offers; none by default. */
  protected getPrompts(): Prompt[] | Promise<Prompt[]> {
    return [];
  }

  /** Renders one prompt; throw a NotFoundError for an unknown name. */
  protected onGetPrompt(
    name: string,
    _args: Record<string, string>,
    _ctx: PluginCallContext<Config>,
  ): Promise<GetPromptResult> {
    return Promise.reject(
      new NotFoundError("PROMPT_NOT_FOUND", `Plugin '${this.metadata.name}' has no prompt '${name}'`),
    );
  }

  /** Suggests argument values; no suggestions by default. */
  protected onComplete(
    _params: CompleteRequestParams,
    _ctx: PluginCallContext<Config>,
  ): Promise<CompleteResult> {
    return Promise.resolve({ completion: { values: [] } });
  }

  /** Tells the host that a list changed, so it re-lists and notifies its clients. */
  protected notifyListChanged(kind: ListChangedKind): void {
    this.#listChanged.emit(kind);
  }

  /** Tells subscribed clients (through the host) that the resource at `uri` changed; they read it again. */
  protected notifyResourceUpdated(uri: string): void {
    this.#resourceUpdates.notify(uri);
  }

  /** Lets subclasses that manage their own connection (bridges) report state. */
  protected setState(state: PluginStatus["state"], error?: unknown): void {
    this.#status.set(state, error);
  }

  /** Tells status listeners the status changed; call it when `getStatus()` reads state kept elsewhere. */
  protected notifyStatusChanged(): void {
    this.#statusListeners.emit(this.getStatus());
  }

  /** The current lifecycle state (cheaper than `getStatus()` on a hot path). */
  protected get currentState(): PluginStatus["state"] {
    return this.#status.state();
  }

  /** Lets subclasses count restarts of what they manage. */
  protected countRestart(): void {
    this.#status.countRestart();
  }

  /** Whether `start` checks tool names; bridges turn this off because upstream names are mapped by the host. */
  protected get validatesToolNames(): boolean {
    return true;
  }

  async start(options: PluginStartOptions = {}): Promise<void> {
    this.#status.set("connecting");
    try {
      validatePluginMetadata(this.metadata);
      const init = resolveStartOptions(this.metadata, this.configSchema, options);
      this.#logger = init.logger;
      this.#config = init.config;
      await this.initialize(init);
      if (this.validatesToolNames) {
        const tools = await this.getTools();
        assertValidToolNames(
          this.metadata.name,
          tools.map((tool) => tool.name),
        );
      }
      if (this.#status.get().state === "connecting") this.#status.set("ready");
    } catch (error) {
      this.#status.set("failed", error);
      throw error;
    }
  }

  async listTools(): Promise<Tool[]> {
    return [...(await this.getTools())];
  }

  async callTool(name: string, args: Record<string, unknown>, ctx: CallContext): Promise<CallToolResult> {
    if (ctx.signal.aborted)
      return errorResult(new CallCancelledError(`Call to '${name}' was cancelled`).message);
    try {
      return await this.execute(name, args, this.#pluginContext(ctx, { tool: name }));
    } catch (error) {
      // The client lacks what the call needs: a protocol error for the host to pass on, not a tool failure.
      if (PluginError.isInstance(error, "CLIENT_CAPABILITY_REQUIRED")) throw error;
      this.#logger.warn("tool threw", { tool: name, requestId: ctx.requestId, error: String(error) });
      return thrownToolResult(name, error);
    }
  }

  async listResources(): Promise<Resource[]> {
    return [...(await this.getResources())];
  }

  async listResourceTemplates(): Promise<ResourceTemplate[]> {
    return [...(await this.getResourceTemplates())];
  }

  readResource(uri: string, ctx: CallContext): Promise<ReadResourceResult> {
    return this.onReadResource(uri, this.#pluginContext(ctx, { resource: uri }));
  }

  async listPrompts(): Promise<Prompt[]> {
    return [...(await this.getPrompts())];
  }

  getPrompt(name: string, args: Record<string, string>, ctx: CallContext): Promise<GetPromptResult> {
    return this.onGetPrompt(name, args, this.#pluginContext(ctx, { prompt: name }));
  }

  complete(params: CompleteRequestParams, ctx: CallContext): Promise<CompleteResult> {
    return this.onComplete(params, this.#pluginContext(ctx, {}));
  }

  onListChanged(listener: (kind: ListChangedKind) => void): () => void {
    return this.#listChanged.subscribe(listener);
  }

  /** Runs `onUpdated` each time `notifyResourceUpdated(uri)` is called; resolves to the unsubscriber. */
  subscribeResource(uri: string, onUpdated: () => void): Promise<() => Promise<void>> {
    return this.#resourceUpdates.subscribe(uri, onUpdated);
  }

  /** Hears every `notifyResourceUpdated`, whatever the URI. */
  onResourceUpdated(listener: (uri: string) => void): () => void {
    return this.#resourceUpdates.listen(listener);
  }

  getStatus(): PluginStatus {
    return this.#status.get();
  }

  onStatusChange(listener: (status: PluginStatus) => void): () => void {
    return this.#statusListeners.subscribe(listener);
  }

  /** Reports health; by default healthy while the plugin is ready. */
  async healthCheck(): Promise<PluginHealth> {
    const status = this.getStatus();
    return {
      healthy: status.state === "ready",
      ...(status.lastError ? { message: status.lastError.message } : {}),
    };
  }

  /** Releases what the plugin holds; subclasses that override it should call `super.shutdown()`. */
  async shutdown(): Promise<void> {
    this.#status.set("stopped");
  }

  #pluginContext(ctx: CallContext, bindings: Record<string, string>): PluginCallContext<Config> {
    return withPluginContext(ctx, this.#logger, bindings, this.#config as Config);
  }
}
