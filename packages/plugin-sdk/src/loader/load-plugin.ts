import { isWaygatePlugin, isWaygatePluginClass } from "../brand.js";
import { errorMessage, PluginError, PluginInvalidError, PluginLoadError } from "../errors.js";
import { createSilentLogger, type Logger } from "../logger.js";
import { assertValidToolNames, validatePluginMetadata } from "../metadata.js";
import type { WaygatePlugin } from "../plugin.js";
import { importPluginModule } from "./resolve-module.js";

/** What can be loaded: a package name, a file path, or a plugin value (class, instance, definePlugin result). */
export type PluginSource = string | WaygatePlugin | (new () => WaygatePlugin);

/** Options for {@link loadPlugin}. */
export interface LoadPluginOptions {
  /** Raw config for the plugin, validated by its schema. */
  config?: unknown;
  logger?: Logger;
  /** The host's version, checked against the plugin's declared range. */
  hostVersion?: string;
  /** Where package names and relative paths are resolved from; defaults to `process.cwd()`. */
  cwd?: string;
  /** How long the plugin's start may take before it is marked failed. */
  startTimeoutMs?: number;
}

/** The outcome of loading one plugin; a failure is kept here, never thrown. */
export interface LoadedPlugin {
  /** The package name or path, or "(inline)" for a value. */
  source: string;
  /** The plugin's name when its metadata could be read. */
  name: string | undefined;
  status: "ready" | "failed";
  plugin: WaygatePlugin | undefined;
  error: PluginError | undefined;
}

const DEFAULT_START_TIMEOUT_MS = 30_000;

function pickExport(module: Record<string, unknown>, source: string): unknown {
  const candidates = [
    module.default,
    (module.default as Record<string, unknown> | undefined)?.default,
    module.plugin,
  ];
  const found = candidates.find((value) => isWaygatePlugin(value) || isWaygatePluginClass(value));
  if (found) return found;
  const named = Object.values(module).filter(
    (value) => isWaygatePlugin(value) || isWaygatePluginClass(value),
  );
  if (named.length === 1) return named[0];
  throw new PluginInvalidError(
    `Module '${source}' does not export a Waygate plugin: export default a BasePlugin subclass, an instance, or a definePlugin() result`,
  );
}

function instantiate(value: unknown, source: string): WaygatePlugin {
  if (isWaygatePlugin(value)) return value;
  if (isWaygatePluginClass(value)) {
    try {
      return new value();
    } catch (error) {
      throw new PluginLoadError(`Constructing plugin '${source}' failed: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }
  throw new PluginInvalidError(`'${source}' is not a Waygate plugin (no plugin brand found)`);
}

async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PluginLoadError(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Loads, validates and starts one plugin. Never throws: a plugin that fails to import, construct, validate
 * or start comes back with status "failed" and its error, so the host can keep serving the others.
 */
export async function loadPlugin(
  source: PluginSource,
  options: LoadPluginOptions = {},
): Promise<LoadedPlugin> {
  const label = typeof source === "string" ? source : "(inline)";
  const logger = options.logger ?? createSilentLogger();
  let plugin: WaygatePlugin | undefined;
  let name: string | undefined;
  try {
    const value =
      typeof source === "string"
        ? pickExport(await importPluginModule(source, options.cwd ?? process.cwd()), source)
        : source;
    plugin = instantiate(value, label);
    name = validatePluginMetadata(plugin.metadata).name;
    const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    await withTimeout(
      plugin.start({ config: options.config, logger, hostVersion: options.hostVersion }),
      timeoutMs,
      `Starting plugin '${name}'`,
    );
    const tools = await plugin.listTools();
    assertValidToolNames(
      name,
      tools.map((tool) => tool.name),
    );
    logger.info("plugin loaded", {
      plugin: name,
      source: label,
      version: plugin.metadata.version,
      tools: tools.length,
    });
    return { source: label, name, status: "ready", plugin, error: undefined };
  } catch (thrown) {
    const error = PluginError.isInstance(thrown)
      ? thrown
      : new PluginLoadError(`Plugin '${name ?? label}' failed to load: ${errorMessage(thrown)}`, {
          cause: thrown,
        });
    logger.error("plugin failed to load", {
      plugin: name,
      source: label,
      code: error.code,
      error: error.message,
    });
    await plugin?.shutdown().catch(() => {});
    return { source: label, name, status: "failed", plugin, error };
  }
}

/** One entry of {@link loadPlugins}: what to load and its config. */
export interface PluginEntry {
  source: PluginSource;
  config?: unknown;
}

/** Loads several plugins one by one; a failure or a duplicate name marks that plugin failed, not the rest. */
export async function loadPlugins(
  entries: readonly PluginEntry[],
  options: Omit<LoadPluginOptions, "config"> = {},
): Promise<LoadedPlugin[]> {
  const results: LoadedPlugin[] = [];
  for (const entry of entries) {
    const result = await loadPlugin(entry.source, { ...options, config: entry.config });
    const clash = results.find((other) => other.status === "ready" && other.name === result.name);
    if (clash && result.status === "ready") {
      await result.plugin?.shutdown().catch(() => {});
      const message = `Plugin name '${result.name}' from '${result.source}' is already used by '${clash.source}'`;
      results.push({ ...result, status: "failed", error: new PluginInvalidError(message) });
      continue;
    }
    results.push(result);
  }
  return results;
}
