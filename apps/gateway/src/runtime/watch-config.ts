import { type FSWatcher, watch } from "node:fs";
import { basename, dirname } from "node:path";
import type { PluginsDiff, SettingsDiff, UpstreamsDiff } from "@waygate/server";
import type { GatewayConfig } from "../config/load.js";

/** How long the file must stay quiet before a change is read: editors write a file in several steps. */
export const CONFIG_WATCH_DEBOUNCE_MS = 300;

/** What the watcher needs from the running gateway. */
export interface ConfigWatchOptions {
  /** The absolute path of the config file. */
  path: string;
  /** The configuration the gateway runs with now. */
  current: GatewayConfig;
  /** Reads and validates the environment and the file again; throws (a ConfigError) when invalid. */
  reload(): Promise<GatewayConfig>;
  /** Applies the servers, plugins and gateway settings of a valid configuration as a diff. */
  apply(config: GatewayConfig): Promise<ConfigApplied>;
  /** One human line per outcome (stderr). */
  report(line: string): void;
  debounceMs?: number;
}

/** What applying a changed configuration did. */
export interface ConfigApplied {
  servers: UpstreamsDiff;
  plugins: PluginsDiff;
  settings: SettingsDiff;
}

/** A running config watcher. */
export interface ConfigWatcher {
  /** Resolves when every change seen so far has been handled (for tests and shutdown). */
  idle(): Promise<void>;
  close(): void;
}

// Settings the CLI reads before the gateway exists; the others reach the gateway, which says which of them apply live.
const CLI_START_ONLY: Partial<Record<keyof GatewayConfig, string>> = {
  database: "the database is opened at start",
  secretKey: "secrets at rest are decrypted with the key read at start",
  redisUrl: "the shared rate-limit store and round relay connect at start",
  rateLimitFailMode: "the shared rate-limit store is connected at start",
  instanceId: "the replica's name in the registry is set at start",
  autoInitialize: "servers are started (or not) at start",
  serversEnabled: "MCP_SERVERS_ENABLED narrows the stored servers at start",
};

/** The settings read by the CLI that differ between two configurations, each with why it needs a restart. */
export function settingsNeedingRestart(
  before: GatewayConfig,
  after: GatewayConfig,
): { option: string; reason: string }[] {
  return Object.entries(CLI_START_ONLY)
    .filter(([key]) => {
      const name = key as keyof GatewayConfig;
      return JSON.stringify(before[name]) !== JSON.stringify(after[name]);
    })
    .map(([option, reason]) => ({ option, reason: reason as string }));
}

function describeApplied({ servers, plugins, settings }: ConfigApplied): string {
  const parts = [
    ...(["added", "removed", "changed"] as const)
      .filter((verb) => servers[verb].length > 0)
      .map((verb) => `${verb} ${servers[verb].join(", ")}`),
    ...(Object.keys(plugins) as (keyof PluginsDiff)[])
      .filter((verb) => plugins[verb].length > 0)
      .map((verb) => `plugin ${verb} ${plugins[verb].join(", ")}`),
    ...settings.applied
      .filter((setting) => !setting.overridden)
      .map((setting) => `${setting.option} = ${JSON.stringify(setting.value)}`),
  ];
  return parts.length > 0 ? parts.join("; ") : "nothing to apply";
}

/** One line per setting the change could not apply: needs a restart, or a database value wins. */
function settingLines(applied: ConfigApplied, restart: { option: string; reason: string }[]): string[] {
  return [
    ...applied.settings.applied
      .filter((setting) => setting.overridden)
      .map(
        (setting) =>
          `config file: ${setting.option} changed, but the value stored in the database wins; ` +
          `\`waygate config unset ${setting.runtimeKey}\` applies the file's`,
      ),
    ...[...restart, ...applied.settings.needRestart].map(
      ({ option, reason }) => `config file: ${option} changed; restart the gateway to apply it (${reason})`,
    ),
  ];
}

/**
 * Watches the config file while the gateway runs. A valid change is applied as a diff of its servers, plugins and
 * gateway settings (what did not change keeps running; a setting read only at start is named with the reason); an
 * invalid one is refused with its errors and the running configuration is kept. The
 * folder is watched, not the file, because editors and `kubectl` replace a file rather than write into it.
 */
export function watchConfigFile(options: ConfigWatchOptions): ConfigWatcher {
  let current = options.current;
  let timer: NodeJS.Timeout | undefined;
  let queue: Promise<void> = Promise.resolve();
  const name = basename(options.path);

  const handle = async () => {
    let next: GatewayConfig;
    try {
      next = await options.reload();
    } catch (error) {
      options.report(
        `config file change refused; the running configuration is kept:\n${(error as Error).message}`,
      );
      return;
    }
    let applied: ConfigApplied;
    try {
      applied = await options.apply(next);
      options.report(`config file change applied (${describeApplied(applied)})`);
    } catch (error) {
      options.report(
        `config file change refused; the running configuration is kept:\n${(error as Error).message}`,
      );
      return;
    }
    for (const line of settingLines(applied, settingsNeedingRestart(current, next))) options.report(line);
    current = next;
  };

  const watcher: FSWatcher = watch(dirname(options.path), { persistent: false }, (_event, filename) => {
    if (filename !== null && filename !== name) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      queue = queue.then(handle);
    }, options.debounceMs ?? CONFIG_WATCH_DEBOUNCE_MS);
  });
  watcher.on("error", (error) => options.report(`config file watch stopped: ${error.message}`));

  return {
    idle: () => queue,
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
