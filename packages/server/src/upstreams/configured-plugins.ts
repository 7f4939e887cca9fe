import canonicalize from "canonicalize";
import type winston from "winston";
import { GatewayOptionsError } from "../errors/errors.js";
import type { Exclusive } from "../mutex.js";
import type { EventRecorder } from "../system-events.js";
import type { ConfigChangeSource } from "./configured-upstreams.js";
import { type PluginEntry, pluginEntry } from "./plugin-entry.js";
import type { PluginOrigin, PluginRegistry } from "./plugin-registry.js";
import type { ServerManager } from "./server-manager.js";

/** What one `applyPlugins` changed, by plugin name. */
export interface PluginsDiff {
  added: string[];
  removed: string[];
  /** Restarted with a new config, or loaded from a new source or a fresh import. */
  changed: string[];
  disabled: string[];
}

/** A plugin the configuration lists as disabled: recorded in the registry, never imported nor started. */
export interface DisabledPlugin extends PluginOrigin {
  name: string;
}

/** The plugins configured in options (the config file), which can be replaced while the gateway runs. */
export interface ConfiguredPlugins {
  /**
   * Makes the running plugins match `entries` (the `plugins` option's shape) and `disabled`: starts the added ones,
   * stops the removed and disabled ones, and restarts a plugin whose object, source or config changed. Every entry is
   * checked first; one invalid entry refuses the whole change (a GatewayOptionsError) and nothing is touched.
   */
  apply(
    entries: readonly object[],
    disabled: readonly DisabledPlugin[],
    source: ConfigChangeSource,
  ): Promise<PluginsDiff>;
}

interface Running {
  entry: PluginEntry;
  print: string;
}

const printOf = (entry: PluginEntry) => `${entry.source}\n${canonicalize(entry.config ?? {}) ?? ""}`;

/** Tracks the configured plugins and applies a new set of them as a diff. */
export function createConfiguredPlugins(options: {
  servers: ServerManager;
  registry: PluginRegistry;
  logger: winston.Logger;
  recordEvent: EventRecorder;
  exclusive: Exclusive;
  /** Names the server sync leaves alone; kept in step with what is configured here. */
  configuredNames: Set<string>;
  /** The plugins the gateway started with. */
  initial: readonly PluginEntry[];
  /** The plugins the gateway started with disabled (already recorded). */
  initialDisabled: readonly DisabledPlugin[];
}): ConfiguredPlugins {
  const running = new Map<string, Running>(
    options.initial.map((entry) => [entry.plugin.metadata.name, { entry, print: printOf(entry) }]),
  );
  const disabledNames = new Set(options.initialDisabled.map((plugin) => plugin.name));

  const start = (entry: PluginEntry) => {
    const name = entry.plugin.metadata.name;
    options.registry.describe(name, { source: entry.source, version: entry.version });
    options.servers.add({
      name,
      kind: "plugin",
      origin: "options",
      build: () => entry.plugin,
      config: entry.config,
      ...(entry.reimport ? { reimport: entry.reimport } : {}),
    });
    options.configuredNames.add(name);
    running.set(name, { entry, print: printOf(entry) });
  };

  return {
    async apply(entries, disabled, source) {
      const next = new Map<string, PluginEntry>();
      const problems: string[] = [];
      for (const [index, raw] of entries.entries()) {
        try {
          const entry = pluginEntry(raw);
          const name = entry.plugin.metadata.name;
          if (next.has(name)) problems.push(`plugins[${index}]: a second plugin named '${name}'`);
          next.set(name, entry);
        } catch (error) {
          problems.push(`plugins[${index}]: ${(error as Error).message}`);
        }
      }
      for (const plugin of disabled) {
        if (next.has(plugin.name))
          problems.push(`plugin '${plugin.name}' is listed both enabled and disabled`);
      }
      return options.exclusive(async () => {
        const specs = new Map(options.servers.specs().map(({ spec }) => [spec.name, spec]));
        for (const name of next.keys()) {
          const spec = specs.get(name);
          if (spec && (spec.kind !== "plugin" || spec.origin !== "options")) {
            problems.push(`plugin '${name}': a server of that name is running; rename one of them`);
          }
        }
        if (problems.length > 0) {
          throw new GatewayOptionsError(`Invalid plugins; nothing changed:\n- ${problems.join("\n- ")}`);
        }
        const diff: PluginsDiff = { added: [], removed: [], changed: [], disabled: [] };
        const nowDisabled = new Set(disabled.map((plugin) => plugin.name));
        for (const [name] of running) {
          if (next.has(name)) continue;
          running.delete(name);
          options.configuredNames.delete(name);
          if (specs.has(name)) await options.servers.remove(name);
          (nowDisabled.has(name) ? diff.disabled : diff.removed).push(name);
        }
        for (const [name, entry] of next) {
          const before = running.get(name);
          if (before && before.entry.plugin === entry.plugin && before.print === printOf(entry)) continue;
          if (specs.has(name)) await options.servers.remove(name);
          start(entry);
          (before ? diff.changed : diff.added).push(name);
        }
        for (const plugin of disabled) {
          if (!disabledNames.has(plugin.name) && !diff.disabled.includes(plugin.name))
            diff.disabled.push(plugin.name);
          await options.registry.disabledInConfig(plugin);
        }
        disabledNames.clear();
        for (const name of nowDisabled) disabledNames.add(name);
        for (const [verb, names] of Object.entries(diff)) {
          for (const plugin of names)
            options.logger.info(`plugin ${verb} from the ${source}`, { plugin, source });
        }
        if (Object.values(diff).some((names) => names.length > 0)) {
          await options.recordEvent({
            level: "info",
            type: "config.applied",
            message: `Applied a change of the ${source}: ${describe(diff)}`,
            details: { source, plugins: diff },
          });
        }
        return diff;
      });
    },
  };
}

function describe(diff: PluginsDiff): string {
  return Object.entries(diff)
    .filter(([, names]) => names.length > 0)
    .map(([verb, names]) => `plugins ${verb} ${names.join(", ")}`)
    .join("; ");
}
