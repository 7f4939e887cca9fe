import type { PluginReport, PluginStatus, PluginsRepository } from "@waygate/core";
import type winston from "winston";
import type { LifecycleEvent } from "./server-manager.js";

/** Where a plugin came from, as the registry shows it. */
export interface PluginOrigin {
  source: string;
  version: string | null;
}

/** A plugin the host could not import, kept so that a reload can try again. */
export interface FailedImport extends PluginOrigin {
  name: string;
  error: string;
  config?: unknown;
  reimport?: () => Promise<unknown>;
}

/** Records what happens to this gateway's plugins in the `plugins` and `plugin_instances` tables. */
export interface PluginRegistry {
  instanceId: string;
  /** Notes where a plugin came from, before it starts. */
  describe(name: string, origin: PluginOrigin): void;
  /** Records a plugin the host could not import (status `failed`, counted as an error). */
  importFailed(failure: FailedImport): void;
  /** Records a plugin the configuration lists as disabled (enabled 0, status `disabled`); failures are logged. */
  disabledInConfig(plugin: PluginOrigin & { name: string }): Promise<void>;
  /** Plugins that failed to import and have not loaded since. */
  failedImports(): Map<string, FailedImport>;
  /** Forgets a failed import once its retry loaded. */
  imported(name: string): void;
  /** The server manager's lifecycle listener; upstreams are ignored. */
  onLifecycle(event: LifecycleEvent): void;
  /** Resolves once every report made so far is written (or has failed and been logged). */
  flush(): Promise<void>;
}

/** The registry's status for a plugin's SDK state. */
function statusOf(state: string): PluginStatus {
  if (state === "ready" || state === "degraded" || state === "connecting") return "loaded";
  if (state === "failed" || state === "import_failed") return "failed";
  if (state === "stopped") return "disabled";
  return "registered";
}

/**
 * Creates the registry. Reports are written in order, one at a time, off the request path; a database that refuses
 * a write is logged and the report is dropped (the next one carries the current state again).
 */
export function createPluginRegistry(options: {
  plugins: PluginsRepository;
  instanceId: string;
  logger: winston.Logger;
}): PluginRegistry {
  const origins = new Map<string, PluginOrigin>();
  const failures = new Map<string, FailedImport>();
  let chain: Promise<void> = Promise.resolve();

  const report = (input: Omit<PluginReport, "instanceId" | "source" | "version" | "enabled">) => {
    // Reads the origin when the report is made, so a later describe() of another plugin cannot change it.
    const origin = origins.get(input.name) ?? { source: "embedded", version: null };
    chain = chain.then(() =>
      options.plugins
        .report({ ...input, ...origin, enabled: true, instanceId: options.instanceId })
        .then(() => undefined)
        .catch((error: unknown) => {
          options.logger.warn("could not record plugin status", {
            plugin: input.name,
            status: input.status,
            error: String((error as Error).message ?? error),
          });
        }),
    );
  };

  return {
    instanceId: options.instanceId,
    describe(name, origin) {
      origins.set(name, origin);
    },
    importFailed(failure) {
      origins.set(failure.name, { source: failure.source, version: failure.version });
      failures.set(failure.name, failure);
      report({
        name: failure.name,
        status: "failed",
        state: "import_failed",
        error: failure.error,
        countError: true,
      });
    },
    disabledInConfig(plugin) {
      origins.set(plugin.name, { source: plugin.source, version: plugin.version });
      const write = chain.then(() =>
        options.plugins
          .upsert({ name: plugin.name, source: plugin.source, version: plugin.version, enabled: false })
          .then(() => undefined)
          .catch((error: unknown) => {
            options.logger.warn("could not record a disabled plugin", {
              plugin: plugin.name,
              error: String((error as Error).message ?? error),
            });
          }),
      );
      chain = write;
      return write;
    },
    failedImports: () => failures,
    imported(name) {
      failures.delete(name);
    },
    onLifecycle(event) {
      if (event.kind !== "plugin") return;
      const status = statusOf(event.state);
      const failed = event.event === "start_failed" || (event.event === "state" && status === "failed");
      report({
        name: event.name,
        status: event.event === "start_failed" ? "failed" : status,
        state: event.state,
        error: event.error ?? null,
        countLoad: event.event === "started",
        countError: failed,
        // A stop (shutdown, reload, disable) is this replica's business; others may still run the plugin.
        instanceOnly: event.event === "stopped",
      });
    },
    flush: () => chain,
  };
}
