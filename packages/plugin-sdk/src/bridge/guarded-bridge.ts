import { BasePlugin } from "../base-plugin.js";
import { UpstreamUnavailableError } from "../errors.js";
import type { PluginMetadata } from "../metadata.js";
import type { PluginCallContext, PluginHealth, PluginInitContext, PluginStatus } from "../plugin.js";
import { errorResult } from "../results.js";
import { McpBridgePlugin } from "./mcp-bridge-plugin.js";
import type { McpBridgeOptionsInput } from "./options.js";
import type { BridgePolicy, ToolCallResult, UpstreamTool } from "./policy.js";

/** What a bridge builds at start: how to reach the upstream, its policy, and settings safe to show. */
export interface BridgeSetup {
  upstream: Omit<McpBridgeOptionsInput, "name">;
  policy: BridgePolicy;
  /** Non-secret settings shown in health details (never tokens or key paths' contents). */
  summary: Record<string, unknown>;
}

/**
 * A bridge whose upstream and policy are worked out at start (from options, the environment and config):
 * implement `setup`, throw a BridgeConfigError when a setting is wrong, and the class runs an
 * McpBridgePlugin with that policy, adding the summary to health details.
 */
export abstract class GuardedBridge<Config = unknown> extends BasePlugin<Config> {
  readonly metadata: PluginMetadata;
  #upstream: McpBridgePlugin | undefined;
  #setup: BridgeSetup | undefined;
  #unsubscribe: Array<() => void> = [];

  constructor(metadata: PluginMetadata) {
    super();
    this.metadata = metadata;
  }

  /** Resolves settings (from options, the environment and `config`); throws a BridgeConfigError when wrong. */
  protected abstract setup(config: Config): BridgeSetup;

  protected override get validatesToolNames(): boolean {
    return false;
  }

  protected override async initialize(ctx: PluginInitContext<Config>): Promise<void> {
    const setup = this.setup(ctx.config);
    this.#setup = setup;
    const upstream = new McpBridgePlugin(
      { ...setup.upstream, name: this.metadata.name },
      { policy: setup.policy },
    );
    this.#upstream = upstream;
    this.#unsubscribe = [
      upstream.onListChanged((kind) => this.notifyListChanged(kind)),
      upstream.onStatusChange(() => this.notifyStatusChanged()),
    ];
    ctx.logger.info("bridge starting", { ...setup.summary });
    await upstream.start({ logger: ctx.logger, hostVersion: ctx.hostVersion });
  }

  protected async getTools(): Promise<UpstreamTool[]> {
    return (await this.#upstream?.listTools()) ?? [];
  }

  protected execute(
    name: string,
    args: Record<string, unknown>,
    ctx: PluginCallContext<Config>,
  ): Promise<ToolCallResult> {
    const upstream = this.#upstream;
    if (!upstream) return Promise.resolve(errorResult(`Bridge '${this.metadata.name}' is not started`));
    return upstream.callTool(name, args, ctx);
  }

  protected override async getResources() {
    return (await this.#upstream?.listResources()) ?? [];
  }

  protected override async getResourceTemplates() {
    return (await this.#upstream?.listResourceTemplates()) ?? [];
  }

  protected override onReadResource(uri: string, ctx: PluginCallContext<Config>) {
    const upstream = this.#upstream;
    return upstream ? upstream.readResource(uri, ctx) : super.onReadResource(uri, ctx);
  }

  protected override async getPrompts() {
    return (await this.#upstream?.listPrompts()) ?? [];
  }

  protected override onGetPrompt(name: string, args: Record<string, string>, ctx: PluginCallContext<Config>) {
    const upstream = this.#upstream;
    return upstream ? upstream.getPrompt(name, args, ctx) : super.onGetPrompt(name, args, ctx);
  }

  /** Subscribes to an upstream resource's updates; see McpBridgePlugin.subscribeResource. */
  override subscribeResource(uri: string, onUpdated: () => void): Promise<() => Promise<void>> {
    const upstream = this.#upstream;
    if (!upstream) {
      return Promise.reject(
        new UpstreamUnavailableError(
          `Cannot subscribe to '${uri}': bridge '${this.metadata.name}' is not started`,
        ),
      );
    }
    return upstream.subscribeResource(uri, onUpdated);
  }

  /** The upstream's status once it started; before that (or after a failed start) the bridge's own. */
  override getStatus(): PluginStatus {
    const own = super.getStatus();
    if (!this.#upstream || own.state === "failed" || own.state === "stopped") return own;
    return this.#upstream.getStatus();
  }

  override async healthCheck(): Promise<PluginHealth> {
    const summary = this.#setup?.summary ?? {};
    const own = super.getStatus();
    if (!this.#upstream || own.state === "failed") {
      return {
        healthy: false,
        message: own.lastError?.message ?? `bridge is ${own.state}`,
        details: { ...summary, state: own.state, ...(own.lastError ? { code: own.lastError.code } : {}) },
      };
    }
    const health = await this.#upstream.healthCheck();
    return { ...health, details: { ...summary, ...health.details } };
  }

  override async shutdown(): Promise<void> {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
    await this.#upstream?.shutdown();
    await super.shutdown();
  }
}
