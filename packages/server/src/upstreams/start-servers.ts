import type { McpServerRecord } from "@waygate/core";
import type winston from "winston";
import { GatewayOptionsError } from "../errors/errors.js";
import type { GatewayOptions } from "../options.js";
import type { Store } from "../store.js";
import type { EventRecorder } from "../system-events.js";
import type { PluginEntry } from "./plugin-entry.js";
import type { PluginRegistry } from "./plugin-registry.js";
import type { ServerManager } from "./server-manager.js";
import { storedServerSpec } from "./stored-server.js";
import { parseUpstreamEntry, type UpstreamTimeouts, type UpstreamTransport } from "./upstream-config.js";
import { createUpstreamPlugin, type UpstreamHost } from "./upstream-plugin.js";

/** An upstream of the `upstreams` option (the config file's `mcpServers`), validated. */
export interface ConfiguredEntry {
  name: string;
  transport: UpstreamTransport;
  disabled: boolean;
  timeouts: UpstreamTimeouts;
}

/** Validates every entry of the `upstreams` option before anything starts; the first bad one refuses the options. */
export function parseConfiguredEntries(upstreams: Record<string, unknown>): ConfiguredEntry[] {
  return Object.entries(upstreams).map(([name, raw]) => {
    try {
      return { name, ...parseUpstreamEntry(name, raw) };
    } catch (error) {
      throw new GatewayOptionsError(
        `Invalid gateway options:\n- upstreams.${name}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  });
}

/** Which stored servers (`mcp_servers` rows) this replica runs, and how it starts one. */
export interface StoredServers {
  /** Names the options configure (plugins and enabled upstreams): a stored server of that name is shadowed. */
  configuredNames: Set<string>;
  /** True for a stored server this replica leaves alone: shadowed, or not in the `storedServersSelected` selection. */
  ignores(name: string): boolean;
  /** Starts a stored server (or registers it disabled), built from its row as every replica builds it. */
  add(record: McpServerRecord): void;
}

/** The rule the start, the server sync and a config-file change share for stored servers. */
export function storedServers(deps: {
  options: GatewayOptions;
  servers: ServerManager;
  host: UpstreamHost;
  pluginEntries: readonly PluginEntry[];
  configuredEntries: readonly ConfiguredEntry[];
}): StoredServers {
  const { options } = deps;
  const referenceEnv = options.referenceEnv ?? process.env;
  const configuredNames = new Set([
    ...deps.pluginEntries.map((entry) => entry.plugin.metadata.name),
    ...deps.configuredEntries.filter((entry) => !entry.disabled).map((entry) => entry.name),
  ]);
  // With a selection (MCP_SERVERS_ENABLED), the stored servers it does not name are left alone too.
  const selection = options.storedServersSelected ? new Set(options.storedServersSelected) : undefined;
  return {
    configuredNames,
    ignores: (name) => configuredNames.has(name) || (selection !== undefined && !selection.has(name)),
    add(record) {
      deps.servers.add(storedServerSpec(record.config, deps.host, referenceEnv), {
        enabled: record.config.enabled,
      });
    },
  };
}

/**
 * Starts what the gateway runs from the start: plugins (recording those that failed to import), the configured
 * upstreams, and, with `loadStoredServers`, the stored servers this replica runs. Returns the stored rows it read.
 */
export async function startServers(deps: {
  options: GatewayOptions;
  servers: ServerManager;
  plugins: PluginRegistry;
  store: Store;
  host: UpstreamHost;
  logger: winston.Logger;
  recordEvent: EventRecorder;
  pluginEntries: readonly PluginEntry[];
  configuredEntries: readonly ConfiguredEntry[];
  stored: StoredServers;
}): Promise<McpServerRecord[]> {
  const { options, servers, logger } = deps;
  for (const plugin of options.pluginsDisabled) await deps.plugins.disabledInConfig(plugin);
  for (const failure of options.pluginFailures) {
    deps.plugins.importFailed(failure);
    logger.error("plugin failed to import; the gateway starts without it", {
      plugin: failure.name,
      source: failure.source,
      error: failure.error,
    });
    await deps.recordEvent({
      level: "error",
      type: "plugin.import_failed",
      message: `Plugin '${failure.name}' (${failure.source}) failed to import: ${failure.error}`,
      details: { plugin: failure.name, source: failure.source },
    });
  }
  for (const { plugin, config, source, version, reimport } of deps.pluginEntries) {
    deps.plugins.describe(plugin.metadata.name, { source, version });
    servers.add({
      name: plugin.metadata.name,
      kind: "plugin",
      origin: "options",
      build: () => plugin,
      config,
      ...(reimport ? { reimport } : {}),
    });
  }
  for (const { name, transport, disabled, timeouts } of deps.configuredEntries) {
    if (disabled) continue;
    servers.add({
      name,
      kind: "upstream",
      origin: "options",
      transport: transport.type,
      build: () => createUpstreamPlugin(name, transport, deps.host, timeouts),
    });
  }
  if (!options.loadStoredServers) return [];
  const storedAtStart = await deps.store.repos.mcpServers.listWithSecrets();
  for (const record of storedAtStart) {
    const name = record.config.name;
    if (deps.stored.configuredNames.has(name)) {
      logger.warn("stored server ignored: a server with this name is configured in options", {
        server: name,
      });
      continue;
    }
    if (deps.stored.ignores(name)) continue;
    deps.stored.add(record);
  }
  return storedAtStart;
}
