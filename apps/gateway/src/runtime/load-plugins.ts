import { createRequire } from "node:module";
import { basename, extname, sep } from "node:path";
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
  /** The package name or path from the config file, and the version found beside it (registry columns). */
  source: string;
  version: string | null;
  /**
   * A fresh instance of the plugin's code, for `POST /plugins/:name/reload`. Only for a plugin given by path outside
   * node_modules: a package's dependencies stay in Node's module cache, so reloading it needs a restart.
   */
  reimport?: () => Promise<object | undefined>;
}

/** A plugin whose module could not be imported: the gateway starts without it and records it failed. */
export interface PluginImportFailure {
  name: string;
  source: string;
  version: string | null;
  error: string;
  config: Record<string, unknown>;
  reimport: () => Promise<object | undefined>;
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

/**
 * Imports a resolved plugin module and returns its plugin, or undefined when it exports none. With `fresh`, the module
 * is evaluated again (a cache-busting query on its URL, and its CommonJS cache entry dropped), giving a new instance.
 */
export async function importPlugin(
  path: string,
  packageName: string,
  env: Env,
  fresh?: number,
): Promise<object | undefined> {
  let href = pathToFileURL(path).href;
  if (fresh !== undefined) {
    delete createRequire(import.meta.url).cache[path];
    href = `${href}?waygate-reload=${fresh}`;
  }
  const module = (await import(href)) as Record<string, unknown>;
  return pluginFromModule(module, bridgeOfPackage(packageName) !== undefined, env);
}

/** A registry name for a plugin that never loaded: its package or file name, e.g. `./plugins/echo.mjs` → `echo`. */
export function failedPluginName(source: string): string {
  const base = basename(source.replace(/\/+$/, ""));
  const name = (extname(base) ? base.slice(0, -extname(base).length) : base).replace(/[^a-zA-Z0-9_-]/g, "-");
  return name.slice(0, 64) || "plugin";
}

/** Whether a plugin's code can be reloaded in place: a path of the operator's own, not a package in node_modules. */
function reloadable(source: string, path: string): boolean {
  return (source.startsWith(".") || source.startsWith("/")) && !path.split(sep).includes("node_modules");
}

/** A plugin the config file lists with `enabled: false`: recorded in the registry, never imported. */
export interface DisabledPluginEntry {
  name: string;
  source: string;
  version: string | null;
}

/** Plugins loaded before (by package and module path), and the names they run under, for loading a changed file. */
export interface PluginMemory {
  loaded: Map<string, LoadedPlugin>;
  names: Map<string, string>;
  /** Fresh imports so far: each gets its own module URL. */
  imports: number;
}

/** An empty memory: `loadPlugins` fills it in. */
export function pluginMemory(): PluginMemory {
  return { loaded: new Map(), names: new Map(), imports: 0 };
}

/**
 * Imports every enabled plugin. A plugin that is not installed or exports no plugin is a configuration error (thrown
 * together as one ConfigError, before the gateway starts); a module that throws while importing is isolated like a
 * plugin that fails to start: it is returned in `failures`, the gateway starts without it and records it failed.
 * `env` is what bridges read their settings from. With `memory`, a plugin loaded before from the same package and
 * module path is reused (its options may have changed) rather than imported again, and a disabled plugin is named as
 * it ran (else after its package or file).
 */
export async function loadPlugins(
  entries: readonly PluginEntry[],
  cwd: string,
  env: Env,
  memory: PluginMemory = pluginMemory(),
): Promise<{ plugins: LoadedPlugin[]; failures: PluginImportFailure[]; disabled: DisabledPluginEntry[] }> {
  const issues: ConfigIssue[] = [];
  const loaded: LoadedPlugin[] = [];
  const failures: PluginImportFailure[] = [];
  const disabled: DisabledPluginEntry[] = [];
  const seen = new Map<string, LoadedPlugin>();
  for (const [index, entry] of entries.entries()) {
    const resolved = resolvePlugin(entry, cwd);
    const memoryKey = `${resolved.package}\n${resolved.path ?? ""}`;
    if (!resolved.enabled) {
      disabled.push({
        name: memory.names.get(resolved.package) ?? failedPluginName(resolved.package),
        source: resolved.package,
        version: resolved.version,
      });
      continue;
    }
    const path = `plugins[${index}]`;
    const before = memory.loaded.get(memoryKey);
    if (before) {
      const again = { ...before, config: resolved.options };
      loaded.push(again);
      seen.set(memoryKey, again);
      continue;
    }
    if (resolved.path === null) {
      issues.push({
        path,
        message: `plugin ${resolved.package} is ${resolved.error}`,
        fix: `npm install ${resolved.package} where the gateway runs`,
      });
      continue;
    }
    const modulePath = resolved.path;
    // Each reload imports afresh; the source is resolved again, so a plugin installed since is found.
    const importAgain = async () => {
      const again = resolvePlugin(entry, cwd);
      if (again.path === null) throw new Error(`plugin ${again.package} is ${again.error}`);
      memory.imports += 1;
      return importPlugin(again.path, again.package, env, memory.imports);
    };
    // A module imported before under this URL comes from Node's cache: import the file afresh.
    const firstImport = memory.names.has(resolved.package) ? ++memory.imports : undefined;
    try {
      const plugin = await importPlugin(modulePath, resolved.package, env, firstImport);
      if (plugin === undefined) {
        issues.push({
          path,
          message: `${resolved.package} does not export a Waygate plugin`,
          fix: "export a plugin made with definePlugin or BasePlugin as the module's default export",
        });
        continue;
      }
      const one: LoadedPlugin = {
        plugin,
        config: resolved.options,
        source: resolved.package,
        version: resolved.version,
        ...(reloadable(resolved.package, modulePath) ? { reimport: importAgain } : {}),
      };
      loaded.push(one);
      seen.set(memoryKey, one);
    } catch (error) {
      failures.push({
        name: failedPluginName(resolved.package),
        source: resolved.package,
        version: resolved.version,
        error: String((error as Error).message ?? error),
        config: resolved.options,
        reimport: importAgain,
      });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues, { source: "the plugins of the config file" });
  memory.loaded = seen;
  for (const one of loaded) {
    const name = (one.plugin as { metadata?: { name?: unknown } }).metadata?.name;
    if (typeof name === "string") memory.names.set(one.source, name);
  }
  return { plugins: loaded, failures, disabled };
}
