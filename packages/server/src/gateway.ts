import type { Server as HttpServer } from "node:http";
import { hostname } from "node:os";
import type { WaygateDatabase } from "@waygate/core";
import type { Express } from "express";
import type { Registry } from "prom-client";
import type winston from "winston";
import { createBuiltinAuthorizationServer } from "./auth/builtin/builtin-server.js";
import { CONSOLE_CLIENT_ID } from "./auth/builtin/provider.js";
import { startBackgroundWork } from "./background.js";
import { createCallPath } from "./call-path.js";
import { consoleRedirectUri } from "./console/console-oauth.js";
import type { GatewayContext } from "./gateway-context.js";
import { checkHealth, type HealthReport } from "./health.js";
import { buildApp } from "./http/app.js";
import { type ListeningAddress, listenHttp } from "./http/listen.js";
import { createMemoryRateLimitStore } from "./http/rate-limit.js";
import { hostCheckEnabled } from "./http/security.js";
import { createLogger } from "./logger.js";
import { createFrontEnd } from "./mcp/front-end.js";
import { createExclusive } from "./mutex.js";
import { type GatewayOptions, type GatewayOptionsInput, parseGatewayOptions } from "./options.js";
import { runtimeBase, startRuntimeSettings } from "./runtime-settings.js";
import { createSettingsApplier } from "./settings-apply.js";
import type { SettingsDiff } from "./settings-changes.js";
import { abandonStart, closeGateway } from "./shutdown.js";
import { openStore } from "./store.js";
import { createEventRecorder } from "./system-events.js";
import {
  createConfiguredPlugins,
  type DisabledPlugin,
  type PluginsDiff,
} from "./upstreams/configured-plugins.js";
import {
  type ConfigChangeSource,
  createConfiguredUpstreams,
  type UpstreamsDiff,
} from "./upstreams/configured-upstreams.js";
import { pluginEntry } from "./upstreams/plugin-entry.js";
import { createPluginRegistry } from "./upstreams/plugin-registry.js";
import { createServerManager } from "./upstreams/server-manager.js";
import { parseConfiguredEntries, startServers, storedServers } from "./upstreams/start-servers.js";
import { recordStoredStatus } from "./upstreams/stored-server.js";
import { createUpstreamHost } from "./upstreams/upstream-host.js";

export type { ListeningAddress };

/** A running gateway: the Express app, and the lifecycle around it. */
export interface Gateway {
  /** The Express app; mount it yourself or call `listen`. */
  app: Express;
  /** This gateway's Prometheus registry. */
  metricsRegistry: Registry;
  /** Starts an HTTP server with the gateway's timeouts (port 0 picks a free port). */
  listen(options?: { host?: string; port?: number }): Promise<ListeningAddress>;
  /** Resolves when every auto-started server has finished its first start attempt. */
  ready(): Promise<void>;
  /**
   * Replaces the configured upstreams (the `upstreams` option, `mcpServers` shape) while running, as a diff:
   * added servers start, removed ones stop, changed ones restart, the rest keep running. An invalid entry refuses
   * the whole change with a GatewayOptionsError and nothing is touched. `source` names the change in the log.
   */
  applyUpstreams(upstreams: Record<string, unknown>, source?: ConfigChangeSource): Promise<UpstreamsDiff>;
  /**
   * Replaces the configured plugins (the `plugins` option's shape, plus those disabled) while running, as a diff:
   * added plugins start, removed and disabled ones stop, one whose object, source or config changed restarts. An
   * invalid set refuses the whole change with a GatewayOptionsError and nothing is touched.
   */
  applyPlugins(
    plugins: readonly object[],
    disabled?: readonly DisabledPlugin[],
    source?: ConfigChangeSource,
  ): Promise<PluginsDiff>;
  /**
   * Applies changed gateway options while running. The ones a runtime setting carries (rate limit, tool-call deadline,
   * log level, pinning, session caps, metrics retention) apply at once unless `waygate config set` stored a value that
   * wins; every other changed option is returned in `needRestart` with the reason. Invalid options refuse the whole
   * change with a GatewayOptionsError and nothing is touched.
   */
  applySettings(changes: Partial<GatewayOptionsInput>, source?: ConfigChangeSource): Promise<SettingsDiff>;
  /** Every detail of `/health` (server names, error text), for the process that embeds the gateway. */
  health(): Promise<HealthReport>;
  /** Stops accepting, drains in-flight calls up to the deadline, flushes the audit and closes upstreams. */
  close(options?: { deadlineMs?: number }): Promise<{ drained: boolean }>;
}

/**
 * Creates a gateway: validates the options, opens the database, builds the call path and the MCP front end, starts
 * plugins and upstreams, and builds the app. No global state. Each step is a factory of its own file; this one only
 * composes them, in the order a request meets them.
 */
export async function createGateway(input: GatewayOptionsInput): Promise<Gateway> {
  const options = parseGatewayOptions(input);
  const production = options.env === "production";
  const logger = options.logger ?? createLogger({ level: options.logLevel });
  warnAboutOpenDoors(options, logger);
  // Validate everything that can be wrong before anything is opened or started.
  const pluginEntries = options.plugins.map(pluginEntry);
  const configuredEntries = parseConfiguredEntries(options.upstreams);
  const store = await openStore({
    ...(options.database ? { database: options.database as WaygateDatabase } : {}),
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.databaseAuthToken ? { databaseAuthToken: options.databaseAuthToken } : {}),
    ...(options.databaseSynchronous ? { databaseSynchronous: options.databaseSynchronous } : {}),
    secretKey: options.secretKey,
  });
  const recordEvent = createEventRecorder(store, logger);
  const instanceId = options.instanceId ?? `${hostname()}-${process.pid}`;
  // Values stored with `waygate config set` or PUT /admin/config override the options from the start.
  const settings = startRuntimeSettings({
    base: runtimeBase(options),
    execute: (sql) => store.db.client.execute(sql),
    logger,
    intervalMs: options.timeouts.serverSyncMs,
  });
  await settings.syncNow();
  if (settings.get("log.level") !== options.logLevel) logger.level = settings.get("log.level");
  const plugins = createPluginRegistry({ plugins: store.repos.plugins, instanceId, logger });
  const { metrics, router, policy, auditGuard, rollup, live } = createCallPath({
    options,
    store,
    settings,
    logger,
    recordEvent,
    instanceId,
  });
  const upstreams = await createUpstreamHost({ options, store, settings, logger });
  const { host: upstreamHost, egress } = upstreams;
  const servers = createServerManager({
    router,
    logger,
    recordEvent,
    hostVersion: options.serverInfo.version,
    watchIntervalMs: options.timeouts.statusPollMs,
    onLifecycle: (event) => {
      plugins.onLifecycle(event);
      live.serverChanged(event.name, event.event);
    },
    onStateChange: recordStoredStatus(store, logger),
  });
  const sessions = createFrontEnd({
    options,
    settings,
    store,
    router,
    policy,
    identity: upstreams.identity,
    metrics,
    logger,
  });
  const stored = storedServers({ options, servers, host: upstreamHost, pluginEntries, configuredEntries });
  let storedAtStart: Awaited<ReturnType<typeof startServers>>;
  try {
    storedAtStart = await startServers({
      options,
      servers,
      plugins,
      store,
      host: upstreamHost,
      logger,
      recordEvent,
      pluginEntries,
      configuredEntries,
      stored,
    });
  } catch (error) {
    // A failed start must not leave processes, timers or the database behind.
    await abandonStart({ settings, rollup, servers, sessions, egress, store });
    throw error;
  }

  const serverChanges = createExclusive();
  const background = startBackgroundWork({
    options,
    store,
    settings,
    router,
    servers,
    logger,
    recordEvent,
    serverChanges,
    stored,
    storedAtStart,
  });
  const configured = createConfiguredUpstreams({
    servers,
    host: upstreamHost,
    logger,
    recordEvent,
    exclusive: serverChanges,
    configuredNames: stored.configuredNames,
    restoreStored: async (name) => {
      if (!options.loadStoredServers) return false;
      const record = await store.repos.mcpServers.get(name);
      if (!record) return false;
      stored.add(record);
      return true;
    },
    initial: Object.fromEntries(
      configuredEntries
        .filter((entry) => !entry.disabled)
        .map((entry) => [entry.name, { transport: entry.transport, timeouts: entry.timeouts }]),
    ),
  });
  const configuredPlugins = createConfiguredPlugins({
    servers,
    registry: plugins,
    logger,
    recordEvent,
    exclusive: serverChanges,
    configuredNames: stored.configuredNames,
    initial: pluginEntries,
    initialDisabled: options.pluginsDisabled,
  });
  const applySettings = createSettingsApplier({ input, options, settings, router, logger, recordEvent });

  const builtinAuth = options.oauth?.builtin
    ? await createBuiltinAuthorizationServer({
        options: options.oauth,
        secretKey: options.secretKey,
        store: store.repos.oauthStore,
        fetch: egress.fetch,
        ...(options.console
          ? {
              consoleClient: {
                clientId: CONSOLE_CLIENT_ID,
                redirectUri: consoleRedirectUri(options.oauth.publicUrl),
              },
            }
          : {}),
        onClientRefused: (clientId, reason) =>
          logger.warn("client metadata document refused", { clientId, reason }),
        keyOf: async (id) => {
          const key = await store.repos.apiKeys.get(id);
          if (!key) return null;
          const usable = key.revokedAt === null && (key.expiresAt === null || key.expiresAt > new Date());
          return { ...key, usable };
        },
      })
    : undefined;
  const rateLimitStore = options.rateLimitStore ?? createMemoryRateLimitStore();
  const ctx: GatewayContext = {
    options,
    production,
    logger,
    metrics,
    router,
    policy,
    auditGuard,
    sessions,
    store,
    servers,
    egress,
    upstreamHost,
    startedAt: new Date(),
    rateLimitStore,
    serverChanges,
    live,
    settings,
    plugins,
    rollup,
    ...(builtinAuth ? { builtinAuth } : {}),
    isReady: () => servers.isSettled(),
  };
  const built = buildApp(ctx, (key) => store.repos.apiKeys.verify(key), rateLimitStore);
  await recordEvent({
    level: "info",
    type: "gateway.started",
    message: "Gateway started",
    details: { auth: options.auth },
  });
  let httpServer: HttpServer | undefined;
  let closing: Promise<{ drained: boolean }> | undefined;
  const open = {
    settings,
    rollup,
    servers,
    sessions,
    egress,
    store,
    policy,
    built,
    background,
    plugins,
    live,
  };

  return {
    app: built.app,
    metricsRegistry: metrics.registry,
    ready: () => servers.settled(),
    applyUpstreams: (entries, source = "options") => configured.apply(entries, source),
    applyPlugins: (entries, disabled = [], source = "options") =>
      configuredPlugins.apply(entries, disabled, source),
    applySettings: (changes, source = "options") => applySettings(changes, source),
    health: () => checkHealth(ctx),
    listen(listenOptions = {}) {
      const at = { host: listenOptions.host ?? options.host, port: listenOptions.port ?? options.port };
      const { server, listening } = listenHttp(built.app, options, logger, at);
      httpServer = server;
      return listening;
    },
    close(closeOptions = {}) {
      closing ??= closeGateway(
        { ...open, rateLimitStore, roundRelay: options.roundRelay, recordEvent, logger },
        httpServer,
        closeOptions.deadlineMs ?? options.timeouts.shutdownMs,
      );
      return closing;
    },
  };
}

/** Says at start when a door is open that should not be in production: no authentication, no Host check. */
function warnAboutOpenDoors(options: GatewayOptions, logger: winston.Logger): void {
  if (options.auth === "none") {
    logger.warn(
      "authentication is OFF (auth 'none'): every local client has full access; never use this outside development",
      { host: options.host },
    );
  }
  if (!hostCheckEnabled({ bindHost: options.host, allowedHosts: options.allowedHosts })) {
    logger.warn(
      "the Host-header check is off: list the names clients use in allowedHosts to guard against DNS rebinding",
      { host: options.host },
    );
  }
}
