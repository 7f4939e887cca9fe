import {
  BasePlugin,
  errorResult,
  type PluginCallContext,
  type PluginHealth,
  type PluginInitContext,
  type PluginMetadata,
  type PluginStatus,
  type WaygatePlugin,
} from "@waygate/plugin-sdk";
import { type McpBridgeOptionsInput, McpBridgePlugin } from "@waygate/plugin-sdk/bridge";

/** A tool as an upstream lists it. */
export type UpstreamTool = Awaited<ReturnType<WaygatePlugin["listTools"]>>[number];
/** What a tool call returns. */
export type ToolCallResult = Awaited<ReturnType<WaygatePlugin["callTool"]>>;

/** The policy a bridge puts in front of its upstream. */
export interface BridgePolicy {
  /** Why a listed tool is hidden from callers, or undefined to expose it. */
  hideReason(tool: UpstreamTool): string | undefined;
  /** Why a call to an exposed tool is denied, or undefined to forward it. */
  denyReason(tool: UpstreamTool, args: Record<string, unknown>): string | undefined;
  /** The arguments to forward for an allowed call (e.g. with defaults filled in); unchanged when absent. */
  prepareArgs?(tool: UpstreamTool, args: Record<string, unknown>): Record<string, unknown>;
}

/** `_meta` key marking a result as a policy denial, so a host can audit it as "denied" rather than "error". */
export const DENIED_META_KEY = "waygate/denied";

/** The tool error a denied call gets: the reason in text, and the denial marked in `_meta`. */
export function deniedResult(bridge: string, reason: string): ToolCallResult {
  return {
    ...errorResult(`Denied by the '${bridge}' bridge: ${reason}`),
    _meta: { [DENIED_META_KEY]: { bridge, reason } },
  };
}

/** What a bridge builds at start: how to reach the upstream, its policy, and settings safe to show. */
export interface BridgeSetup {
  upstream: Omit<McpBridgeOptionsInput, "name">;
  policy: BridgePolicy;
  /** Non-secret settings shown in health details (never tokens or key paths' contents). */
  summary: Record<string, unknown>;
}

/**
 * A plugin that resolves its settings at start, then fronts an McpBridgePlugin with a policy: it hides tools
 * the policy hides and answers denied calls with an `isError` result naming the reason, before anything
 * reaches the upstream. The host audits that result like any other call.
 */
export abstract class GuardedBridge<Config = unknown> extends BasePlugin<Config> {
  readonly metadata: PluginMetadata;
  #upstream: McpBridgePlugin | undefined;
  #setup: BridgeSetup | undefined;
  #unsubscribe: (() => void) | undefined;

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
    const upstream = new McpBridgePlugin({ ...setup.upstream, name: this.metadata.name });
    this.#upstream = upstream;
    this.#unsubscribe = upstream.onListChanged((kind) => this.notifyListChanged(kind));
    ctx.logger.info("bridge starting", { ...setup.summary });
    await upstream.start({ logger: ctx.logger, hostVersion: ctx.hostVersion });
  }

  protected async getTools(): Promise<UpstreamTool[]> {
    const { upstream, policy } = this.#started();
    if (!upstream || !policy) return [];
    return (await upstream.listTools()).filter((tool) => policy.hideReason(tool) === undefined);
  }

  protected async execute(
    name: string,
    args: Record<string, unknown>,
    ctx: PluginCallContext<Config>,
  ): Promise<ToolCallResult> {
    const { upstream, policy } = this.#started();
    if (!upstream || !policy) return errorResult(`Bridge '${this.metadata.name}' is not started`);
    const tool = (await upstream.listTools()).find((candidate) => candidate.name === name);
    const reason = tool
      ? (policy.hideReason(tool) ?? policy.denyReason(tool, args))
      : `the upstream has no tool '${name}'`;
    if (reason !== undefined) {
      ctx.logger.warn("call denied by bridge policy", { tool: name, reason });
      return deniedResult(this.metadata.name, reason);
    }
    return upstream.callTool(name, tool && policy.prepareArgs ? policy.prepareArgs(tool, args) : args, ctx);
  }

  protected override async getResources() {
    return (await this.#started().upstream?.listResources()) ?? [];
  }

  protected override async getResourceTemplates() {
    return (await this.#started().upstream?.listResourceTemplates()) ?? [];
  }

  protected override onReadResource(uri: string, ctx: PluginCallContext<Config>) {
    const { upstream } = this.#started();
    return upstream ? upstream.readResource(uri, ctx) : super.onReadResource(uri, ctx);
  }

  protected override async getPrompts() {
    return (await this.#started().upstream?.listPrompts()) ?? [];
  }

  protected override onGetPrompt(name: string, args: Record<string, string>, ctx: PluginCallContext<Config>) {
    const { upstream } = this.#started();
    return upstream ? upstream.getPrompt(name, args, ctx) : super.onGetPrompt(name, args, ctx);
  }

  /** The upstream's status once it started; before that (or after a failed start) the bridge's own. */
  override getStatus(): PluginStatus {
    const own = super.getStatus();
    if (!this.#upstream || own.state === "failed" || own.state === "stopped") return own;
    return this.#upstream.getStatus();
  }

  override async healthCheck(): Promise<PluginHealth> {
    const summary = this.#setup?.summary ?? {};
    if (!this.#upstream || super.getStatus().state === "failed") {
      const status = super.getStatus();
      return {
        healthy: false,
        message: status.lastError?.message ?? `bridge is ${status.state}`,
        details: {
          ...summary,
          state: status.state,
          ...(status.lastError ? { code: status.lastError.code } : {}),
        },
      };
    }
    const health = await this.#upstream.healthCheck();
    return { ...health, details: { ...summary, ...health.details } };
  }

  override async shutdown(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await this.#upstream?.shutdown();
    await super.shutdown();
  }

  #started(): { upstream: McpBridgePlugin | undefined; policy: BridgePolicy | undefined } {
    return { upstream: this.#upstream, policy: this.#setup?.policy };
  }
}
