import type {
  CallToolResult,
  CompleteRequestParams,
  CompleteResult,
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplateType,
  Tool,
} from "@modelcontextprotocol/client";
import {
  errorResult,
  type ListChangedKind,
  PLUGIN_BRAND,
  type PluginStartOptions,
  type PluginStatus,
  textResult,
} from "@waygate/plugin-sdk";
import type { HostCallContext, HostedPlugin } from "../hosted-plugin.js";
import { principalOf } from "./principal.js";
import { PrincipalConnections, SignInNeeded } from "./principal-connections.js";
import { askToSignIn, SIGNED_IN, type SignInDeps } from "./sign-in-prompt.js";
import type { UserTokenProvider } from "./user-token-provider.js";

/** The tool every per-user upstream lists, which starts (or restarts) the caller's own sign-in. */
export const SIGN_IN_TOOL = "waygate_sign_in";

/** What a per-user upstream needs from its gateway. */
export interface UserUpstreamDeps extends SignInDeps {
  /** Builds one principal's MCP bridge to the upstream, with that principal's token provider. */
  connect: (provider: UserTokenProvider) => HostedPlugin;
  /** Told when the upstream shuts down (removed, disabled or the gateway stops). */
  onShutdown?: () => void;
  now?: () => number;
}

/**
 * A remote upstream reached with each principal's own OAuth token: one bridge (one connection) per principal that
 * signed in, opened on its first call, closed after `idleCloseMs` idle or when more than `maxConnections` are open
 * (the least recently used goes). A call from a principal without a token never reaches the upstream: it answers
 * with the sign-in link (or asks a client that supports URL elicitation to open it). Lists are the upstream's as the
 * last connection saw them, plus `waygate_sign_in`; they are the same for every caller.
 */
export class UserUpstream implements HostedPlugin {
  readonly [PLUGIN_BRAND] = true as const;
  readonly metadata;
  readonly #deps: UserUpstreamDeps;
  readonly #connections: PrincipalConnections;
  readonly #listeners = new Set<(kind: ListChangedKind) => void>();
  #startOptions: PluginStartOptions = {};
  #lists: { tools: Tool[]; resources: Resource[]; templates: ResourceTemplateType[]; prompts: Prompt[] } = {
    tools: [],
    resources: [],
    templates: [],
    prompts: [],
  };
  #sweep: NodeJS.Timeout | undefined;
  #state: PluginStatus["state"] = "idle";

  constructor(name: string, deps: UserUpstreamDeps) {
    this.metadata = { name, version: "1.0.0", description: `${name}, with each caller's own OAuth token` };
    this.#deps = deps;
    this.#connections = new PrincipalConnections({
      scope: deps.scope,
      connect: deps.connect,
      startOptions: () => this.#startOptions,
      listsChanged: (plugin) => this.#refreshLists(plugin),
      ...(deps.now ? { now: deps.now } : {}),
    });
  }

  async start(options: PluginStartOptions = {}): Promise<void> {
    this.#startOptions = options;
    const every = Math.min(this.#deps.scope.settings.idleCloseMs, 30_000);
    this.#sweep = setInterval(() => void this.#connections.closeIdle(), every);
    this.#sweep.unref();
    this.#state = "ready";
  }

  /** How many principals have a connection open now. */
  get openConnections(): number {
    return this.#connections.size;
  }

  async listTools(): Promise<Tool[]> {
    const signIn: Tool = {
      name: SIGN_IN_TOOL,
      description: `Sign in to ${this.metadata.name} with your own account; its other tools act as you.`,
      inputSchema: { type: "object", properties: {} },
    };
    return [...this.#lists.tools.filter((tool) => tool.name !== SIGN_IN_TOOL), signIn];
  }

  async callTool(name: string, args: Record<string, unknown>, ctx: HostCallContext): Promise<CallToolResult> {
    const principal = principalOf(ctx.caller.keyId);
    if (!principal) {
      return errorResult(`${this.metadata.name} needs each caller's own sign-in, and authentication is off.`);
    }
    if (name === SIGN_IN_TOOL) {
      const outcome = await askToSignIn(this.#deps, this.metadata.name, principal, ctx, true);
      return outcome === SIGNED_IN ? textResult(`Signed in to ${this.metadata.name}.`) : outcome;
    }
    try {
      return await (await this.#connections.get(principal)).callTool(name, args, ctx);
    } catch (error) {
      if (!(error instanceof SignInNeeded)) throw error;
    }
    // Signed in through the client (URL elicitation) while the call waited: the call goes on, now with the token.
    const outcome = await askToSignIn(this.#deps, this.metadata.name, principal, ctx, false);
    return outcome === SIGNED_IN
      ? (await this.#connections.get(principal)).callTool(name, args, ctx)
      : outcome;
  }

  async listResources(): Promise<Resource[]> {
    return [...this.#lists.resources];
  }

  async listResourceTemplates(): Promise<ResourceTemplateType[]> {
    return [...this.#lists.templates];
  }

  async readResource(uri: string, ctx: HostCallContext): Promise<ReadResourceResult> {
    return (await this.#connectionOrThrow(ctx)).readResource(uri, ctx);
  }

  async listPrompts(): Promise<Prompt[]> {
    return [...this.#lists.prompts];
  }

  async getPrompt(
    name: string,
    args: Record<string, string>,
    ctx: HostCallContext,
  ): Promise<GetPromptResult> {
    return (await this.#connectionOrThrow(ctx)).getPrompt(name, args, ctx);
  }

  async complete(params: CompleteRequestParams, ctx: HostCallContext): Promise<CompleteResult> {
    return (await this.#connectionOrThrow(ctx)).complete(params, ctx);
  }

  onListChanged(listener: (kind: ListChangedKind) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  getStatus(): PluginStatus {
    return { state: this.#state, restarts: 0 };
  }

  async healthCheck() {
    return { healthy: this.#state === "ready", details: { connections: this.#connections.size } };
  }

  async shutdown(): Promise<void> {
    if (this.#sweep) clearInterval(this.#sweep);
    this.#state = "stopped";
    this.#deps.onShutdown?.();
    await this.#connections.closeAll();
  }

  /** Opens the principal's connection now (after its sign-in), so lists show the upstream's tools at once. */
  async open(principal: string): Promise<void> {
    await this.#connections.get(principal);
  }

  /** Closes the principal's connection (after its token was revoked); the next call opens a new one, or asks to sign in. */
  disconnect(principal: string): Promise<void> {
    return this.#connections.close(principal);
  }

  async #connectionOrThrow(ctx: HostCallContext): Promise<HostedPlugin> {
    const principal = principalOf(ctx.caller.keyId);
    try {
      if (!principal) throw new SignInNeeded();
      return await this.#connections.get(principal);
    } catch (error) {
      if (!(error instanceof SignInNeeded)) throw error;
      throw new Error(
        `${this.metadata.name} acts with each caller's own account: call its ${SIGN_IN_TOOL} tool first to sign in`,
      );
    }
  }

  async #refreshLists(plugin: HostedPlugin): Promise<void> {
    const [tools, resources, templates, prompts] = await Promise.all([
      plugin.listTools(),
      plugin.listResources().catch(() => []),
      plugin.listResourceTemplates().catch(() => []),
      plugin.listPrompts().catch(() => []),
    ]);
    const next = { tools, resources, templates, prompts };
    const changed: ListChangedKind[] = [];
    if (JSON.stringify(tools) !== JSON.stringify(this.#lists.tools)) changed.push("tools");
    if (
      JSON.stringify([resources, templates]) !==
      JSON.stringify([this.#lists.resources, this.#lists.templates])
    )
      changed.push("resources");
    if (JSON.stringify(prompts) !== JSON.stringify(this.#lists.prompts)) changed.push("prompts");
    this.#lists = next;
    for (const kind of changed) for (const listener of this.#listeners) listener(kind);
  }
}
