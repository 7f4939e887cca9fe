import type { Server as HttpServer } from "node:http";
import type { Store as RateLimitStore } from "express-rate-limit";
import type winston from "winston";
import type { BuiltApp } from "./http/app.js";
import type { LiveUpdates } from "./live-updates.js";
import type { RoundRelay } from "./mcp/round-relay.js";
import type { McpSessions } from "./mcp/sessions.js";
import type { MetricsRollup } from "./metrics-history.js";
import type { CallPolicy } from "./policy/call-policy.js";
import type { RuntimeSettings } from "./runtime-settings.js";
import type { Store } from "./store.js";
import type { EventRecorder } from "./system-events.js";
import type { UpstreamEgress } from "./upstreams/egress.js";
import type { PluginRegistry } from "./upstreams/plugin-registry.js";
import type { ServerManager } from "./upstreams/server-manager.js";

/** What a started gateway holds open: timers, sessions, upstream processes and connections, the database. */
export interface OpenParts {
  settings: RuntimeSettings;
  rollup: MetricsRollup;
  servers: ServerManager;
  sessions: McpSessions;
  egress: UpstreamEgress;
  store: Store;
}

/** Undoes a start that failed half-way, so it leaves no process, timer or open database behind. */
export async function abandonStart(parts: OpenParts): Promise<void> {
  parts.settings.stop();
  await parts.rollup.stop();
  await parts.servers.shutdownAll();
  await parts.sessions.closeAll();
  await parts.egress.close();
  await parts.store.close();
}

/**
 * Stops a running gateway: stops accepting, drains in-flight calls up to the deadline (a call is done once audited,
 * then its response must leave), closes sessions and connections, stops upstreams and timers, flushes the plugin
 * registry and the audit, records `gateway.stopped` and closes the database.
 */
export async function closeGateway(
  parts: OpenParts & {
    policy: CallPolicy;
    built: BuiltApp;
    background: { stop(): void };
    plugins: PluginRegistry;
    live: LiveUpdates;
    rateLimitStore: RateLimitStore;
    roundRelay: RoundRelay | undefined;
    recordEvent: EventRecorder;
    logger: winston.Logger;
  },
  httpServer: HttpServer | undefined,
  deadlineMs: number,
): Promise<{ drained: boolean }> {
  const stopped = httpServer ? new Promise<void>((resolve) => httpServer.close(() => resolve())) : undefined;
  const deadline = Date.now() + deadlineMs;
  parts.background.stop();
  parts.settings.stop();
  parts.sessions.cancelParked();
  // Push streams never end by themselves: end them, so in-flight requests can drain.
  parts.live.close();
  const callsDone = await parts.policy.drain(deadlineMs);
  // Calls are done once audited; their responses may still be on the wire.
  const responsesDone = await parts.built.inFlight.idle(Math.max(0, deadline - Date.now()));
  const drained = callsDone && responsesDone;
  await parts.sessions.closeAll();
  // After the drain: a round relayed here and still running is answered "shutting down" before the relay closes.
  await parts.roundRelay?.close();
  httpServer?.closeIdleConnections();
  httpServer?.closeAllConnections();
  await stopped;
  await parts.servers.shutdownAll();
  await parts.egress.close();
  parts.built.stop();
  await parts.rollup.stop();
  await parts.plugins.flush();
  await (parts.rateLimitStore as { shutdown?: () => unknown }).shutdown?.();
  await parts.recordEvent({
    level: "info",
    type: "gateway.stopped",
    message: "Gateway stopped",
    details: { drained },
  });
  await parts.store.close();
  parts.logger.info("gateway stopped", { drained });
  return { drained };
}
