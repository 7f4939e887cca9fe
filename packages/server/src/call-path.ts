import type winston from "winston";
import { createLiveUpdates, type LiveUpdates } from "./live-updates.js";
import { createMetrics, type GatewayMetrics } from "./metrics.js";
import { type MetricsRollup, startMetricsRollup } from "./metrics-history.js";
import type { GatewayOptions } from "./options.js";
import { type AuditGuard, createAuditGuard } from "./policy/audit-guard.js";
import { type CallPolicy, createCallPolicy } from "./policy/call-policy.js";
import { backendUsable } from "./routing/backend.js";
import { createPinGuard } from "./routing/pin-guard.js";
import { createRouter, type Router } from "./routing/router.js";
import type { RuntimeSettings } from "./runtime-settings.js";
import type { Store } from "./store.js";
import type { EventRecorder } from "./system-events.js";

/** What every call passes through: the router (with its pin guard), the policy, the audit guard, metrics, roll-ups. */
export interface CallPath {
  metrics: GatewayMetrics;
  router: Router;
  policy: CallPolicy;
  auditGuard: AuditGuard;
  rollup: MetricsRollup;
  /** What changed, pushed to the console's live overview (`GET /admin/stream`). */
  live: LiveUpdates;
}

/** Builds the call path of one gateway; the roll-up timer starts here and stops with `rollup.stop()`. */
export function createCallPath(deps: {
  options: GatewayOptions;
  store: Store;
  settings: RuntimeSettings;
  logger: winston.Logger;
  recordEvent: EventRecorder;
  instanceId: string;
}): CallPath {
  const { options, store, settings, logger } = deps;
  const upstreamStates = () => router.backends().map((b) => ({ server: b.name, up: backendUsable(b) }));
  const metrics = createMetrics({
    collectDefault: options.collectDefaultMetrics,
    auditDepth: () => store.auditDepth(),
    upstreamStates,
  });
  const pins = createPinGuard({
    pins: store.repos.definitionPins,
    // options.pinning.servers is replaced by applySettings.
    modeOf: (server) => options.pinning.servers[server] ?? settings.get("pinning.mode"),
    metrics,
    logger,
    recordEvent: deps.recordEvent,
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
    instanceId: deps.instanceId,
    logger,
    intervalMs: options.metricsHistory.intervalMs,
    compactEveryMs: options.metricsHistory.compactEveryMs,
    knownServers: () => new Set(router.backends().map((b) => b.name)),
    upstreamStates,
    auditDepth: () => store.auditDepth(),
    retainDays: () => settings.get("metrics.retainDays"),
    downsampleAfterHours: () => settings.get("metrics.downsampleAfterHours"),
  });
  const live = createLiveUpdates({ coalesceMs: 1000 });
  const policy = createCallPolicy({
    router,
    // Roll-ups count what the audit committed, so their totals equal command_history's.
    audit: {
      async record(entry) {
        await store.record(entry);
        rollup.observe(entry);
        live.callAudited();
      },
    },
    auditGuard,
    metrics,
    logger,
    get toolCallTimeoutMs() {
      return settings.get("upstream.requestTimeoutMs");
    },
    production: options.env === "production",
  });
  return { metrics, router, policy, auditGuard, rollup, live };
}
