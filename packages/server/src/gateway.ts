import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import type { McpServerRecord, WaygateDatabase } from "@waygate/core";
import type { Express } from "express";
import type { Registry } from "prom-client";
import type winston from "winston";
import { startAuditRetention } from "./audit-retention.js";
import { createBuiltinAuthorizationServer } from "./auth/builtin/builtin-server.js";
import { GatewayOptionsError } from "./errors/errors.js";
import type { GatewayContext } from "./gateway-context.js";
import { checkHealth, type HealthReport } from "./health.js";
import { buildApp } from "./http/app.js";
import { answerClientError } from "./http/client-errors.js";
import { createMemoryRateLimitStore } from "./http/rate-limit.js";
import { hostCheckEnabled } from "./http/security.js";
import { createLogger } from "./logger.js";
import { createMcpSessions } from "./mcp/sessions.js";
import { createMetrics } from "./metrics.js";
import { startMetricsRollup } from "./metrics-history.js";
import { createExclusive } from "./mutex.js";
import { type GatewayOptionsInput, parseGatewayOptions } from "./options.js";
import { createAuditGuard } from "./policy/audit-guard.js";
import { createCallPolicy } from "./policy/call-policy.js";
import { backendUsable } from "./routing/backend.js";
import { createPinGuard } from "./routing/pin-guard.js";
import { startPinSync } from "./routing/pin-sync.js";
import { createRouter, type Router } from "./routing/router.js";
import { runtimeBase, startRuntimeSettings } from "./runtime-settings.js";
import {
  changedOptionPaths,
  LIVE_OPTIONS,
  liveOptionOf,
  restartReason,
  type SettingsDiff,
} from "./settings-changes.js";
import { openStore } from "./store.js";
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
import { createUpstreamEgress } from "./upstreams/egress.js";
import { createEraMemory } from "./upstreams/eras.js";
import { createGatewayIdentity } from "./upstreams/gateway-identity.js";
import { pluginEntry } from "./upstreams/plugin-entry.js";
import { createPluginRegistry } from "./upstreams/plugin-registry.js";
import { createServerManager, type EventRecorder } from "./upstreams/server-manager.js";
import { startServerSync } from "./upstreams/server-sync.js";
import { recordStoredStatus, storedServerSpec } from "./upstreams/stored-server.js";
import { parseUpstreamEntry } from "./upstreams/upstream-config.js";
import { upstreamAuthProvider } from "./upstreams/upstream-oauth.js";
import { createUpstreamPlugin, type UpstreamHost } from "./upstreams/upstream-plugin.js";

/** Where a listening gateway can be reached. */
export interface ListeningAddress {
  host: string;
  port: number;
  url: string;
}

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

/** Creates a gateway: opens the database, starts plugins and upstreams, and builds the app. No global state. */
export async function createGateway(input: GatewayOptionsInput): Promise<Gateway> {
  const options = parseGatewayOptions(input);
  const production = options.env === "production";
  const logger = options.logger ?? createLogger({ level: options.logLevel });
  if (options.auth === "none") {
    logger.warn(
      "authentication is OFF (auth 'none'): every local client has full access; never use this outside development",
      {
        host: options.host,
      },
    );
  }
  if (!hostCheckEnabled({ bindHost: options.host, allowedHosts: options.allowedHosts })) {
    logger.warn(
      "the Host-header check is off: list the names clients use in allowedHosts to guard against DNS rebinding",
      {
        host: options.host,
      },
    );
  }
  // Validate everything that can be wrong before anything is opened or started.
  const pluginEntries = options.plugins.map(pluginEntry);
  const upstreamEntries = Object.entries(options.upstreams).map(([name, raw]) => {
    try {
      return { name, ...parseUpstreamEntry(name, raw) };
    } catch (error) {
      throw new GatewayOptionsError(
        `Invalid gateway options:\n- upstreams.${name}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  });
  const store = await openStore({
    ...(options.database ? { database: options.database as WaygateDatabase } : {}),
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.databaseAuthToken ? { databaseAuthToken: options.databaseAuthToken } : {}),
    ...(options.databaseSynchronous ? { databaseSynchronous: options.databaseSynchronous } : {}),
    secretKey: options.secretKey,
  });
  const recordEvent: EventRecorder = async (event) => {
    try {
      await store.repos.systemEvents.record(event);
    } catch (error) {
      logger.error("could not record system event", {
        type: event.type,
        error: String((error as Error).message),
      });
    }
  };
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
  const metrics = createMetrics({
    collectDefault: options.collectDefaultMetrics,
    auditDepth: () => store.auditDepth(),
    upstreamStates: () => router.backends().map((b) => ({ server: b.name, up: backendUsable(b) })),
  });
  const pins = createPinGuard({
    pins: store.repos.definitionPins,
    // options.pinning.servers is replaced by applySettings.
    modeOf: (server) => options.pinning.servers[server] ?? settings.get("pinning.mode"),
    metrics,
    logger,
    recordEvent,
  });
  const router = createRouter({
    onListError: (server, error) =>
      logger.warn("listing failed", { server, error: String((error as Error).message) }),
    pins,
  });
  const auditGuard = createAuditGuard({
    // A committed row proves the audit can be written again, and records when it recovered.
    probe: async () => {
      await store.repos.systemEvents.record({
        level: "warn",
        type: "audit.recovered",
        message: "Audit rows can be committed again; tool calls are accepted",
      });
    },
    onChange: (health) =>
      health.ok
        ? logger.info("audit writable again; accepting tool calls")
        : logger.error("audit cannot be written; refusing tool calls until it can", { error: health.error }),
  });
  const rollup = startMetricsRollup({
    metrics: store.repos.metrics,
    instanceId,
    logger,
    intervalMs: options.metricsHistory.intervalMs,
    compactEveryMs: options.metricsHistory.compactEveryMs,
    knownServers: () => new Set(router.backends().map((b) => b.name)),
    upstreamStates: () => router.backends().map((b) => ({ server: b.name, up: backendUsable(b) })),
    auditDepth: () => store.auditDepth(),
    retainDays: () => settings.get("metrics.retainDays"),
    downsampleAfterHours: () => settings.get("metrics.downsampleAfterHours"),
  });
  const policy = createCallPolicy({
    router,
    // Roll-ups count what the audit committed, so their totals equal command_history's.
    audit: {
      async record(entry) {
        await store.record(entry);
        rollup.observe(entry);
      },
    },
    auditGuard,
    metrics,
    logger,
    get toolCallTimeoutMs() {
      return settings.get("upstream.requestTimeoutMs");
    },
    production,
  });
  // Upstreams start from the era they were last found to speak; an unreadable store only costs a probe each.
  const eras = createEraMemory(
    await store.repos.upstreamEras.list().catch((error: unknown) => {
      logger.warn("could not read the stored upstream protocol eras; every upstream is probed", {
        error: (error as Error).message,
      });
      return [];
    }),
    store.repos.upstreamEras,
    { horizonMs: options.upstreamEraHorizonMs, logger },
  );
  const servers = createServerManager({
    router,
    logger,
    recordEvent,
    hostVersion: options.serverInfo.version,
    watchIntervalMs: options.timeouts.statusPollMs,
    onLifecycle: (event) => plugins.onLifecycle(event),
    onStateChange: recordStoredStatus(store, logger),
  });
  const identity = createGatewayIdentity({
    ...options.serverInfo,
    maxAggregationDepth: options.maxAggregationDepth,
  });
  const sessions = createMcpSessions({
    deps: { router, policy, serverInfo: identity.serverInfo, production },
    metrics,
    logger,
    responseMode: options.mcpResponseMode,
    sessionMode: options.mcpSessionMode,
    get maxSessions() {
      return settings.get("mcp.maxSessions");
    },
    get maxSessionsPerKey() {
      return settings.get("mcp.maxSessionsPerKey");
    },
    keyUsable: async (keyId) => {
      const key = await store.repos.apiKeys.get(keyId);
      return key !== null && key.revokedAt === null && (key.expiresAt === null || key.expiresAt > new Date());
    },
    idleMs: options.timeouts.sessionIdleMs,
    keepAliveMs: options.timeouts.sseKeepAliveMs,
    legacyMessagesPath: "/messages",
  });

  const egress = createUpstreamEgress(options.egress);
  const upstreamHost: UpstreamHost = {
    get callTimeoutMs() {
      return settings.get("upstream.requestTimeoutMs");
    },
    egress,
    identity,
    eras,
    authProviderFor: (name) => {
      const oauth = options.upstreamOAuth[name];
      return oauth ? upstreamAuthProvider(oauth) : undefined;
    },
  };
  // Lists are filtered by the pinning mode: rebuild them, and tell clients.
  const relistAll = () => {
    for (const backend of router.backends()) {
      router.invalidate(backend.name);
      router.notifyListChanged("tools", backend.name);
    }
  };
  settings.onChange((key, value) => {
    if (key === "log.level") logger.level = String(value);
    if (key === "pinning.mode") relistAll();
  });
  const referenceEnv = options.referenceEnv ?? process.env;
  const addStored = (record: McpServerRecord) => {
    servers.add(storedServerSpec(record.config, upstreamHost, referenceEnv), {
      enabled: record.config.enabled,
    });
  };
  const configuredNames = new Set([
    ...pluginEntries.map((entry) => entry.plugin.metadata.name),
    ...upstreamEntries.filter((entry) => !entry.disabled).map((entry) => entry.name),
  ]);
  // Stored servers this replica leaves alone: those a configured server shadows, and with a selection
  // (MCP_SERVERS_ENABLED) those it does not name. The sync applies the same rule to rows added later.
  const selection = options.storedServersSelected ? new Set(options.storedServersSelected) : undefined;
  const ignoresStored = (name: string) =>
    configuredNames.has(name) || (selection !== undefined && !selection.has(name));
  let storedAtStart: McpServerRecord[] = [];

  try {
    for (const plugin of options.pluginsDisabled) await plugins.disabledInConfig(plugin);
    for (const failure of options.pluginFailures) {
      plugins.importFailed(failure);
      logger.error("plugin failed to import; the gateway starts without it", {
        plugin: failure.name,
        source: failure.source,
        error: failure.error,
      });
      await recordEvent({
        level: "error",
        type: "plugin.import_failed",
        message: `Plugin '${failure.name}' (${failure.source}) failed to import: ${failure.error}`,
        details: { plugin: failure.name, source: failure.source },
      });
    }
    for (const { plugin, config, source, version, reimport } of pluginEntries) {
      plugins.describe(plugin.metadata.name, { source, version });
      servers.add({
        name: plugin.metadata.name,
        kind: "plugin",
        origin: "options",
        build: () => plugin,
        config,
        ...(reimport ? { reimport } : {}),
      });
    }
    for (const { name, transport, disabled, timeouts } of upstreamEntries) {
      if (disabled) continue;
      servers.add({
        name,
        kind: "upstream",
        origin: "options",
        transport: transport.type,
        build: () => createUpstreamPlugin(name, transport, upstreamHost, timeouts),
      });
    }
    if (options.loadStoredServers) {
      storedAtStart = await store.repos.mcpServers.listWithSecrets();
      for (const record of storedAtStart) {
        const name = record.config.name;
        if (configuredNames.has(name)) {
          logger.warn("stored server ignored: a server with this name is configured in options", {
            server: name,
          });
          continue;
        }
        if (ignoresStored(name)) continue;
        addStored(record);
      }
    }
  } catch (error) {
    // A failed start must not leave processes, timers or the database behind.
    settings.stop();
    await rollup.stop();
    await servers.shutdownAll();
    await sessions.closeAll();
    await egress.close();
    await store.close();
    throw error;
  }

  const serverChanges = createExclusive();
  const serverSync = options.loadStoredServers
    ? startServerSync({
        store,
        servers,
        logger,
        intervalMs: options.timeouts.serverSyncMs,
        initial: storedAtStart,
        ignores: ignoresStored,
        addStored,
        exclusive: serverChanges,
      })
    : undefined;

  const configured = createConfiguredUpstreams({
    servers,
    host: upstreamHost,
    logger,
    recordEvent,
    exclusive: serverChanges,
    configuredNames,
    restoreStored: async (name) => {
      if (!options.loadStoredServers) return false;
      const record = await store.repos.mcpServers.get(name);
      if (!record) return false;
      addStored(record);
      return true;
    },
    initial: Object.fromEntries(
      upstreamEntries
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
    configuredNames,
    initial: pluginEntries,
    initialDisabled: options.pluginsDisabled,
  });

  const applySettings = async (
    changes: Partial<GatewayOptionsInput>,
    source: ConfigChangeSource,
  ): Promise<SettingsDiff> => {
    const next = parseGatewayOptions({ ...input, ...changes });
    const diff: SettingsDiff = { applied: [], needRestart: [] };
    const paths = changedOptionPaths(options, next, Object.keys(changes));
    const live = new Set<string>();
    for (const path of paths) {
      const option = liveOptionOf(path);
      if (option) live.add(option);
      else diff.needRestart.push({ option: path, reason: restartReason(path) });
    }
    // What reads options directly sees the new values; the rest goes through the runtime settings.
    options.rateLimit.limit = next.rateLimit.limit;
    options.pinning.servers = next.pinning.servers;
    const overridden = new Map(
      settings.setBase(runtimeBase(next)).map((change) => [change.key, change.overridden]),
    );
    if (live.has("pinning.servers")) relistAll();
    for (const option of live) {
      const runtimeKey = LIVE_OPTIONS[option] ?? undefined;
      const value = option
        .split(".")
        .reduce<unknown>((at, part) => (at as Record<string, unknown>)[part], next);
      const applied = {
        option,
        value,
        overridden: runtimeKey ? (overridden.get(runtimeKey) ?? false) : false,
      };
      diff.applied.push(runtimeKey ? { ...applied, runtimeKey } : applied);
      logger.info(
        applied.overridden
          ? `setting changed in the ${source}; a value stored in the database wins`
          : `setting applied from the ${source}`,
        { option, ...(runtimeKey ? { runtimeKey } : {}), value, source },
      );
    }
    for (const { option, reason } of diff.needRestart) {
      logger.warn(`setting changed in the ${source}; restart to apply it`, { option, reason, source });
    }
    if (paths.length > 0) {
      await recordEvent({
        level: "info",
        type: "config.applied",
        message: `Applied a change of the ${source}: ${diff.applied.map((s) => s.option).join(", ") || "no setting"} applied${
          diff.needRestart.length > 0
            ? `; ${diff.needRestart.map((s) => s.option).join(", ")} need a restart`
            : ""
        }`,
        details: { source, applied: diff.applied.map((s) => s.option), needRestart: diff.needRestart },
      });
    }
    return diff;
  };

  const { retainDays, pruneEveryMs } = options.audit;
  const stopRetention =
    retainDays === undefined
      ? undefined
      : startAuditRetention({
          history: store.repos.commandHistory,
          logger,
          retainDays,
          everyMs: pruneEveryMs,
        });

  // Approvals made through the CLI or another replica reach this replica's lists within serverSyncMs.
  const stopPinSync = startPinSync({
    pins: store.repos.definitionPins,
    router,
    logger,
    intervalMs: options.timeouts.serverSyncMs,
  });

  const reportCollisions = reportCollisionsOnce(router, logger, recordEvent);
  void servers.settled().then(reportCollisions);
  router.onListChanged((kind) => {
    if (kind === "tools") void reportCollisions();
  });

  const builtinAuth = options.oauth?.builtin
    ? await createBuiltinAuthorizationServer({
        options: options.oauth,
        secretKey: options.secretKey,
        store: store.repos.oauthStore,
        fetch: egress.fetch,
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
  const startedAt = new Date();
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
    startedAt,
    rateLimitStore,
    serverChanges,
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

  return {
    app: built.app,
    metricsRegistry: metrics.registry,
    ready: () => servers.settled(),
    applyUpstreams: (upstreams, source = "options") => configured.apply(upstreams, source),
    applyPlugins: (entries, disabled = [], source = "options") =>
      configuredPlugins.apply(entries, disabled, source),
    applySettings: (changes, source = "options") => applySettings(changes, source),
    health: () => checkHealth(ctx),
    listen(listenOptions = {}) {
      const host = listenOptions.host ?? options.host;
      const port = listenOptions.port ?? options.port;
      // Node checks the request and header deadlines on this interval (30 s by default), so keep it in step with them.
      const server = createServer(
        { connectionsCheckingInterval: Math.max(100, Math.min(options.timeouts.headersMs / 2, 30_000)) },
        built.app,
      );
      server.requestTimeout = options.timeouts.requestMs;
      server.headersTimeout = options.timeouts.headersMs;
      server.keepAliveTimeout = options.timeouts.keepAliveMs;
      server.on("clientError", answerClientError);
      httpServer = server;
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          const address = server.address() as AddressInfo;
          const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
          logger.info("gateway listening", { host: address.address, port: address.port, auth: options.auth });
          resolve({ host: address.address, port: address.port, url: `http://${shown}:${address.port}` });
        });
      });
    },
    close(closeOptions = {}) {
      closing ??= (async () => {
        const deadlineMs = closeOptions.deadlineMs ?? options.timeouts.shutdownMs;
        const stopped = httpServer
          ? new Promise<void>((resolve) => httpServer?.close(() => resolve()))
          : undefined;
        const deadline = Date.now() + deadlineMs;
        serverSync?.stop();
        settings.stop();
        stopRetention?.();
        stopPinSync();
        sessions.cancelParked();
        const callsDone = await policy.drain(deadlineMs);
        // Calls are done once audited; their responses may still be on the wire.
        const responsesDone = await built.inFlight.idle(Math.max(0, deadline - Date.now()));
        const drained = callsDone && responsesDone;
        await sessions.closeAll();
        httpServer?.closeIdleConnections();
        httpServer?.closeAllConnections();
        await stopped;
        await servers.shutdownAll();
        await egress.close();
        built.stop();
        await rollup.stop();
        await plugins.flush();
        await (rateLimitStore as { shutdown?: () => unknown }).shutdown?.();
        await recordEvent({
          level: "info",
          type: "gateway.stopped",
          message: "Gateway stopped",
          details: { drained },
        });
        await store.close();
        logger.info("gateway stopped", { drained });
        return { drained };
      })();
      return closing;
    },
  };
}

/** Logs and records each tool-name collision once, so an operator learns about it at load, not from a user. */
function reportCollisionsOnce(router: Router, logger: winston.Logger, recordEvent: EventRecorder) {
  const reported = new Set<string>();
  return async () => {
    const { collisions } = await router.listTools({ kind: "aggregate" });
    for (const collision of collisions) {
      const id = JSON.stringify(collision);
      if (reported.has(id)) continue;
      reported.add(id);
      logger.warn("tool name collision", { ...collision });
      await recordEvent({
        level: "warn",
        type: "naming.collision",
        message: `Tool name '${collision.exposed}' is claimed by ${collision.kept.server}/${collision.kept.original} and ${collision.dropped.server}/${collision.dropped.original}; the second is not reachable under that name`,
        details: { ...collision },
      });
    }
  };
}
