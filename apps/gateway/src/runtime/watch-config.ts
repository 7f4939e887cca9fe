import { type FSWatcher, watch } from "node:fs";
import { basename, dirname } from "node:path";
import type { UpstreamsDiff } from "@waygate/server";
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
  /** Applies the servers of a valid configuration as a diff. */
  apply(config: GatewayConfig): Promise<UpstreamsDiff>;
  /** One human line per outcome (stderr). */
  report(line: string): void;
  debounceMs?: number;
}

/** A running config watcher. */
export interface ConfigWatcher {
  /** Resolves when every change seen so far has been handled (for tests and shutdown). */
  idle(): Promise<void>;
  close(): void;
}

// Settings a running gateway cannot change in place (listeners, database, auth, plugins): a change is reported.
const RESTART_KEYS = [
  "env",
  "database",
  "host",
  "port",
  "auth",
  "corsOrigins",
  "logLevel",
  "mcpSessionMode",
  "mcpResponseMode",
  "plugins",
  "keyPolicy",
  "stdioAllowlist",
  "egressAllow",
  "server",
] as const satisfies readonly (keyof GatewayConfig)[];

/** Names of the settings that differ between two configurations and need a restart to take effect. */
export function settingsNeedingRestart(before: GatewayConfig, after: GatewayConfig): string[] {
  return RESTART_KEYS.filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
}

function describeDiff(diff: UpstreamsDiff): string {
  const parts = (["added", "removed", "changed"] as const)
    .filter((verb) => diff[verb].length > 0)
    .map((verb) => `${verb} ${diff[verb].join(", ")}`);
  return parts.length > 0 ? parts.join("; ") : "no server changed";
}

/**
 * Watches the config file while the gateway runs. A valid change is applied as a diff of its servers (the
 * others keep running); an invalid one is refused with its errors and the running configuration is kept. The
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
    try {
      const diff = await options.apply(next);
      options.report(`config file change applied (${describeDiff(diff)})`);
    } catch (error) {
      options.report(
        `config file change refused; the running configuration is kept:\n${(error as Error).message}`,
      );
      return;
    }
    const restart = settingsNeedingRestart(current, next);
    if (restart.length > 0) {
      options.report(
        `config file: ${restart.join(", ")} changed; restart the gateway to apply ${restart.length > 1 ? "them" : "it"}`,
      );
    }
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
