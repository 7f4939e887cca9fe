import {
  type BridgeSetup,
  type Env,
  GuardedBridge,
  type McpBridgeOptionsInput,
} from "@waygate/plugin-sdk/bridge";
import { z } from "zod";
import { version as BRIDGE_VERSION } from "../package.json";
import { githubPolicy } from "./github-policy.js";
import {
  type GithubBridgeSettings,
  type GithubBridgeSettingsInput,
  resolveGithubSettings,
} from "./settings.js";

/** Options of the GitHub bridge plugin. */
export interface GithubBridgeOptions {
  /** Validated settings; when absent, settings are read at start from `env` and the host's plugin config. */
  settings?: GithubBridgeSettings;
  /** Environment read at start when `settings` is absent; `process.env` by default. */
  env?: Env;
  /** Prefix of the bridged tools (`<namespace>__<tool>`); "github" by default. */
  namespace?: string;
}

/** Plugin options from the gateway's config file; validated with the environment at start. */
const GithubPluginConfigSchema = z.record(z.string(), z.unknown());

function upstreamFor(settings: GithubBridgeSettings): BridgeSetup["upstream"] {
  const timeouts = { connectMs: settings.connectTimeoutMs, callMs: settings.callTimeoutMs };
  const toolsets = settings.toolsets.join(",");
  if (settings.command) {
    const [command = "", ...args] = settings.command;
    const env: Record<string, string> = { GITHUB_PERSONAL_ACCESS_TOKEN: settings.token };
    if (toolsets) env.GITHUB_TOOLSETS = toolsets;
    if (settings.readOnly) env.GITHUB_READ_ONLY = "1";
    return { version: BRIDGE_VERSION, transport: { type: "stdio", command, args, env }, timeouts };
  }
  const headers: Record<string, string> = { Authorization: `Bearer ${settings.token}` };
  if (toolsets) headers["X-MCP-Toolsets"] = toolsets;
  if (settings.readOnly) headers["X-MCP-Readonly"] = "true";
  const transport: McpBridgeOptionsInput["transport"] = { type: "http", url: settings.url, headers };
  return { version: BRIDGE_VERSION, transport, timeouts };
}

function summaryOf(settings: GithubBridgeSettings): Record<string, unknown> {
  const where = settings.command
    ? { transport: "stdio", command: settings.command[0] }
    : { transport: "http", url: `${new URL(settings.url).origin}${new URL(settings.url).pathname}` };
  return {
    ...where,
    owner: settings.owner ?? null,
    readOnly: settings.readOnly,
    toolsets: settings.toolsets,
  };
}

/**
 * Waygate bridge to GitHub's MCP server: the remote endpoint with `Authorization: Bearer $GITHUB_TOKEN`, or a
 * local stdio command; read-only tools by default and calls limited to GITHUB_OWNER's repositories.
 */
export class GithubBridge extends GuardedBridge<Record<string, unknown>> {
  override readonly configSchema = GithubPluginConfigSchema;
  readonly #options: GithubBridgeOptions;

  constructor(options: GithubBridgeOptions = {}) {
    super({
      name: options.namespace ?? "github",
      version: BRIDGE_VERSION,
      description: "GitHub's MCP server behind Waygate (owner scoping, read-only by default)",
    });
    this.#options = options;
  }

  protected setup(config: Record<string, unknown>): BridgeSetup {
    const settings =
      this.#options.settings ??
      resolveGithubSettings(config as Partial<GithubBridgeSettingsInput>, this.#options.env ?? process.env);
    return { upstream: upstreamFor(settings), policy: githubPolicy(settings), summary: summaryOf(settings) };
  }
}

/** Builds the GitHub bridge from explicit settings; throws a BridgeConfigError naming what to fix. */
export function createGithubBridge(
  settings: GithubBridgeSettingsInput,
  options: { namespace?: string } = {},
): GithubBridge {
  return new GithubBridge({ ...options, settings: resolveGithubSettings(settings) });
}

/** Builds the GitHub bridge from environment variables (GITHUB_TOKEN, GITHUB_OWNER, ...); throws naming the variable. */
export function githubBridgeFromEnv(
  env: Env = process.env,
  options: { namespace?: string } = {},
): GithubBridge {
  return new GithubBridge({ ...options, settings: resolveGithubSettings({}, env) });
}
