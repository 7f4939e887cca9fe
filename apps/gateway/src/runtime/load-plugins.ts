import { pathToFileURL } from "node:url";
import { isWaygatePlugin, isWaygatePluginClass } from "@waygate/plugin-sdk";
import type { PluginEntry } from "../config/file.js";
import { ConfigError, type ConfigIssue } from "../errors.js";
import { resolvePlugin } from "../plugins/resolve-plugin.js";

/** Bridges that `MCP_SERVERS_ENABLED` can name directly; each is the npm package `@waygate/bridge-<name>`. */
export const KNOWN_BRIDGES = ["github", "firebase", "bigquery"] as const;

/** A loaded plugin with the options from the config file, in the shape `createGateway({ plugins })` takes. */
export interface LoadedPlugin {
  plugin: object;
  config: Record<string, unknown>;
}

/** Finds the plugin in a module: its default export or a `plugin` export, an instance or a class. */
function pluginFromModule(loaded: Record<string, unknown>): object | undefined {
  for (const candidate of [
    loaded.default,
    loaded.plugin,
    (loaded.default as { default?: unknown })?.default,
  ]) {
    if (isWaygatePlugin(candidate)) return candidate;
    if (isWaygatePluginClass(candidate)) return new candidate();
  }
  return undefined;
}

/** Imports every enabled plugin; problems are collected and thrown together as one ConfigError. */
export async function loadPlugins(entries: readonly PluginEntry[], cwd: string): Promise<LoadedPlugin[]> {
  const issues: ConfigIssue[] = [];
  const loaded: LoadedPlugin[] = [];
  for (const [index, entry] of entries.entries()) {
    const resolved = resolvePlugin(entry, cwd);
    if (!resolved.enabled) continue;
    const path = `plugins[${index}]`;
    if (resolved.path === null) {
      issues.push({
        path,
        message: `plugin ${resolved.package} is ${resolved.error}`,
        fix: `npm install ${resolved.package} where the gateway runs`,
      });
      continue;
    }
    try {
      const module = (await import(pathToFileURL(resolved.path).href)) as Record<string, unknown>;
      const plugin = pluginFromModule(module);
      if (plugin === undefined) {
        issues.push({
          path,
          message: `${resolved.package} does not export a Waygate plugin`,
          fix: "export a plugin made with definePlugin or BasePlugin as the module's default export",
        });
        continue;
      }
      loaded.push({ plugin, config: resolved.options });
    } catch (error) {
      issues.push({
        path,
        message: `${resolved.package} failed to load: ${(error as Error).message}`,
        fix: "fix the plugin, or disable it with enabled: false",
      });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues, { source: "the plugins of the config file" });
  return loaded;
}
