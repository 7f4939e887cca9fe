import { pathToFileURL } from "node:url";
import { isWaygatePlugin, isWaygatePluginClass } from "@waygate/plugin-sdk";
import type { PluginEntry } from "../config/file.js";
import { ConfigError, type ConfigIssue } from "../errors.js";
import { resolvePlugin } from "../plugins/resolve-plugin.js";
import { bridgeOfPackage } from "./bridges.js";

/** The environment as the CLI holds it (`process.env` in production, a test's own map in tests). */
export type Env = Readonly<Record<string, string | undefined>>;

/** A loaded plugin with the options from the config file, in the shape `createGateway({ plugins })` takes. */
export interface LoadedPlugin {
  plugin: object;
  config: Record<string, unknown>;
}

/**
 * Finds the plugin in a module: its default export or a `plugin` export, an instance or a class. A bridge
 * class is given the gateway's environment (`{ env }`), so that it reads its settings from the same
 * environment the gateway validated rather than from `process.env` behind the CLI's back; it reads them
 * when it starts, so a missing credential fails that bridge (status `failed`) and nothing else.
 */
function pluginFromModule(loaded: Record<string, unknown>, isBridge: boolean, env: Env): object | undefined {
  for (const candidate of [
    loaded.default,
    loaded.plugin,
    (loaded.default as { default?: unknown })?.default,
  ]) {
    if (isWaygatePlugin(candidate)) return candidate;
    if (isWaygatePluginClass(candidate)) {
      const PluginClass = candidate as unknown as new (options?: { env: Env }) => object;
      return isBridge ? new PluginClass({ env }) : new PluginClass();
    }
  }
  return undefined;
}

/** Imports a resolved plugin module and returns its plugin, or undefined when it exports none. */
export async function importPlugin(path: string, packageName: string, env: Env): Promise<object | undefined> {
  const module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  return pluginFromModule(module, bridgeOfPackage(packageName) !== undefined, env);
}

/**
 * Imports every enabled plugin; problems are collected and thrown together as one ConfigError. `env` is
 * what bridges read their settings from.
 */
export async function loadPlugins(
  entries: readonly PluginEntry[],
  cwd: string,
  env: Env,
): Promise<LoadedPlugin[]> {
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
      const plugin = await importPlugin(resolved.path, resolved.package, env);
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
