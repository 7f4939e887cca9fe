import type winston from "winston";
import { GatewayError, NotFoundError } from "../errors/errors.js";
import { type Backend, type BackendKind, type BackendStatus, backendStatus } from "../routing/backend.js";
import type { Router } from "../routing/router.js";
import type { EventRecorder } from "../system-events.js";
import type { HostedPlugin, HostPluginStatus } from "./hosted-plugin.js";
import { createStatusWatch } from "./status-watch.js";

/** How a backend is (re)built: plugins are reused, upstreams are rebuilt from their config. */
export interface BackendSpec {
  name: string;
  kind: BackendKind;
  origin: "options" | "database";
  transport?: string;
  build(): HostedPlugin;
  config?: unknown;
  /** A fresh instance of the plugin's code (a new module instance); a reload uses it instead of `build`. */
  reimport?: () => Promise<HostedPlugin>;
}

/** What happened to a backend, for the plugin registry: started, failed to start, changed state, stopped. */
export interface LifecycleEvent {
  name: string;
  kind: BackendKind;
  event: "started" | "start_failed" | "state" | "stopped";
  state: string;
  error?: string;
}

/** Starts, reloads, removes and watches the gateway's plugins and upstreams. */
export interface ServerManager {
  /** Registers a server and starts it, unless `enabled` is false (then `enable` starts it later). */
  add(spec: BackendSpec, options?: { enabled?: boolean }): Backend | undefined;
  /** Stops and starts a server; a plugin with `reimport` gets a fresh instance of its code first. */
  reload(name: string, actorKeyId: string | null): Promise<BackendStatus>;
  /** True when `reload` of this server loads its code afresh (a plugin with `reimport`). */
  reloadsCode(name: string): boolean;
  remove(name: string): Promise<void>;
  /** Stops a server but keeps its definition, so `enable` can start it again. */
  disable(name: string): Promise<void>;
  enable(name: string): Promise<BackendStatus>;
  /** Definitions of every server, running or disabled. */
  specs(): { spec: BackendSpec; enabled: boolean }[];
  /** Resolves when every backend added so far has finished its first start attempt. */
  settled(): Promise<void>;
  isSettled(): boolean;
  shutdownAll(): Promise<void>;
}

/** Creates the manager; a background watch records state changes (crashes, recoveries) as system events. */
export function createServerManager(options: {
  router: Router;
  logger: winston.Logger;
  recordEvent: EventRecorder;
  hostVersion: string;
  watchIntervalMs?: number;
  /** Told of every start, failed start, state change and stop (never awaited; must not throw). */
  onLifecycle?: (event: LifecycleEvent) => void;
  /** Told each server's first state and every change of state after (to record it where the CLI can read it). */
  onStateChange?: (spec: BackendSpec, status: HostPluginStatus) => void;
}): ServerManager {
  const tell = (event: LifecycleEvent) => {
    try {
      options.onLifecycle?.(event);
    } catch (error) {
      options.logger.warn("lifecycle listener failed", { server: event.name, error: String(error) });
    }
  };
  const specs = new Map<string, BackendSpec>();
  const pending = new Set<Promise<void>>();
  const watch = createStatusWatch({
    router: options.router,
    logger: options.logger,
    recordEvent: options.recordEvent,
    onStateChange: (name, status, previous) => {
      const spec = specs.get(name);
      if (spec) options.onStateChange?.(spec, status);
      if (previous === undefined) return;
      tell({
        name,
        kind: options.router.get(name)?.kind ?? "upstream",
        event: "state",
        state: status.state,
        ...(status.lastError?.message ? { error: status.lastError.message } : {}),
      });
    },
    ...(options.watchIntervalMs === undefined ? {} : { intervalMs: options.watchIntervalMs }),
  });

  const start = (spec: BackendSpec): Backend => {
    const plugin = spec.build();
    const logger = options.logger.child({ server: spec.name });
    const backend: Backend = {
      name: spec.name,
      kind: spec.kind,
      plugin,
      ...(spec.transport ? { transport: spec.transport } : {}),
      origin: spec.origin,
      started: Promise.resolve(),
      unsubscribe: () => {},
    };
    const offList = plugin.onListChanged((kind) => options.router.notifyListChanged(kind, spec.name));
    // Plugins that report status changes get their crashes recorded at once; the watch covers the rest.
    const offStatus = plugin.onStatusChange?.((status) => watch.observe(spec.name, status));
    const offUpdates = plugin.onResourceUpdated?.((uri) =>
      options.router.notifyResourceUpdated(uri, spec.name),
    );
    backend.unsubscribe = () => {
      offList();
      offStatus?.();
      offUpdates?.();
    };
    const started = plugin
      .start({ config: spec.config, logger, hostVersion: options.hostVersion })
      .then(
        () => {
          const state = plugin.getStatus().state;
          logger.info("server started", { state });
          tell({ name: spec.name, kind: spec.kind, event: "started", state });
        },
        (error: unknown) => {
          backend.startError = (error as Error).message ?? String(error);
          tell({
            name: spec.name,
            kind: spec.kind,
            event: "start_failed",
            state: plugin.getStatus().state,
            error: backend.startError,
          });
          logger.error("server failed to start", { error: backend.startError });
          return options.recordEvent({
            level: "error",
            type: "upstream.start_failed",
            message: `Server '${spec.name}' failed to start: ${backend.startError}`,
            details: { server: spec.name },
          });
        },
      )
      .finally(() => {
        pending.delete(started);
        options.router.invalidate(spec.name);
      });
    backend.started = started;
    pending.add(started);
    options.router.add(backend);
    return backend;
  };

  const stop = async (name: string) => {
    const backend = options.router.remove(name);
    if (!backend) return;
    backend.unsubscribe();
    watch.forget(name);
    await backend.plugin.shutdown().catch((error: unknown) => {
      options.logger.warn("server shutdown failed", {
        server: name,
        error: String((error as Error).message),
      });
    });
    tell({ name, kind: backend.kind, event: "stopped", state: "stopped" });
  };

  return {
    add(spec, addOptions = {}) {
      if (specs.has(spec.name)) {
        throw new GatewayError(
          "conflict",
          `A server named '${spec.name}' already exists; remove it first or pick another name`,
        );
      }
      specs.set(spec.name, spec);
      return addOptions.enabled === false ? undefined : start(spec);
    },
    async reload(name, actorKeyId) {
      const spec = specs.get(name);
      if (!spec || !options.router.get(name)) {
        throw new NotFoundError(
          "unknown_server",
          `Unknown server '${name}'; list them with GET /mcp/servers`,
        );
      }
      let next = spec;
      if (spec.reimport) {
        // Import first: code that no longer loads leaves the running instance in place.
        let fresh: HostedPlugin;
        try {
          fresh = await spec.reimport();
        } catch (error) {
          const message = String((error as Error).message ?? error);
          throw new GatewayError(
            "upstream_error",
            `Plugin '${name}' could not be re-imported (${message}); the code loaded before keeps running. Fix the plugin and reload again.`,
            { cause: error },
          );
        }
        next = { ...spec, build: () => fresh };
        specs.set(name, next);
      }
      await stop(name);
      const backend = start(next);
      await backend.started;
      await options.recordEvent({
        level: "info",
        type: "server.reloaded",
        message: `Server '${name}' reloaded`,
        details: { server: name, by: actorKeyId },
      });
      options.router.notifyListChanged("tools", name);
      return backendStatus(backend);
    },
    reloadsCode: (name) => specs.get(name)?.reimport !== undefined,
    async disable(name) {
      if (!specs.has(name)) throw new NotFoundError("unknown_server", `Unknown server '${name}'`);
      await stop(name);
      options.router.notifyListChanged("tools", name);
    },
    async enable(name) {
      const spec = specs.get(name);
      if (!spec) throw new NotFoundError("unknown_server", `Unknown server '${name}'`);
      const backend = options.router.get(name) ?? start(spec);
      await backend.started;
      options.router.notifyListChanged("tools", name);
      return backendStatus(backend);
    },
    specs: () =>
      [...specs.values()].map((spec) => ({ spec, enabled: options.router.get(spec.name) !== undefined })),
    async remove(name) {
      if (!specs.has(name)) throw new NotFoundError("unknown_server", `Unknown server '${name}'`);
      specs.delete(name);
      await stop(name);
      options.router.notifyListChanged("tools", name);
    },
    async settled() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    isSettled: () => pending.size === 0,
    async shutdownAll() {
      watch.stop();
      await Promise.allSettled(options.router.backends().map((b) => stop(b.name)));
    },
  };
}
