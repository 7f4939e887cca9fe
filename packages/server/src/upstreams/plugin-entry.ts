import { GatewayOptionsError } from "../errors/errors.js";
import { type HostedPlugin, isHostedPlugin } from "./hosted-plugin.js";

/** One entry of the `plugins` option, normalised: the plugin and what the registry and reloads need. */
export interface PluginEntry {
  plugin: HostedPlugin;
  config?: unknown;
  source: string;
  version: string | null;
  reimport?: () => Promise<HostedPlugin>;
}

/** Normalises a `plugins` option entry (a plugin, or `{ plugin, config, source, version, reimport }`). */
export function pluginEntry(entry: object): PluginEntry {
  if (isHostedPlugin(entry))
    return { plugin: entry, source: "embedded", version: entry.metadata.version ?? null };
  const wrapped = entry as {
    plugin?: unknown;
    config?: unknown;
    source?: unknown;
    version?: unknown;
    reimport?: unknown;
  };
  if (isHostedPlugin(wrapped.plugin)) {
    const reimport = wrapped.reimport;
    return {
      plugin: wrapped.plugin,
      config: wrapped.config,
      source: typeof wrapped.source === "string" ? wrapped.source : "embedded",
      version:
        typeof wrapped.version === "string" ? wrapped.version : (wrapped.plugin.metadata.version ?? null),
      ...(typeof reimport === "function"
        ? {
            reimport: async () => {
              const fresh: unknown = await (reimport as () => Promise<unknown>)();
              if (!isHostedPlugin(fresh))
                throw new Error("the re-imported module no longer exports a Waygate plugin");
              return fresh;
            },
          }
        : {}),
    };
  }
  throw new GatewayOptionsError(
    "plugins: each entry must be a Waygate plugin (definePlugin, BasePlugin, McpBridgePlugin) or { plugin, config }",
  );
}
