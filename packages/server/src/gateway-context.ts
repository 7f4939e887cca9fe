import type { Store as RateLimitStore } from "express-rate-limit";
import type winston from "winston";
import type { BuiltinAuthorizationServer } from "./auth/builtin/builtin-server.js";
import type { LiveUpdates } from "./live-updates.js";
import type { McpSessions } from "./mcp/sessions.js";
import type { GatewayMetrics } from "./metrics.js";
import type { MetricsRollup } from "./metrics-history.js";
import type { Exclusive } from "./mutex.js";
import type { GatewayOptions } from "./options.js";
import type { AuditGuard } from "./policy/audit-guard.js";
import type { CallPolicy } from "./policy/call-policy.js";
import type { Router } from "./routing/router.js";
import type { RuntimeSettings } from "./runtime-settings.js";
import type { Store } from "./store.js";
import type { UpstreamEgress } from "./upstreams/egress.js";
import type { PluginRegistry } from "./upstreams/plugin-registry.js";
import type { ServerManager } from "./upstreams/server-manager.js";
import type { UpstreamHost } from "./upstreams/upstream-plugin.js";

/** Everything one gateway's routes share; created once per gateway, never global. */
export interface GatewayContext {
  options: GatewayOptions;
  production: boolean;
  logger: winston.Logger;
  metrics: GatewayMetrics;
  router: Router;
  policy: CallPolicy;
  /** Whether audit rows can be committed; calls are refused while they cannot. */
  auditGuard: AuditGuard;
  sessions: McpSessions;
  store: Store;
  servers: ServerManager;
  /** What http/sse upstreams may reach; the admin API checks a new upstream's address with it. */
  egress: UpstreamEgress;
  /** What the bridges of this gateway's upstreams share (timeouts, egress). */
  upstreamHost: UpstreamHost;
  startedAt: Date;
  /** Held while servers are added, enabled, disabled or removed (admin API and the server sync). */
  serverChanges: Exclusive;
  /** The per-key rate limiter's store (in-memory, or shared such as Redis). */
  rateLimitStore: RateLimitStore;
  /** Runtime settings (the `config` table over the options), applied live on every replica. */
  settings: RuntimeSettings;
  /** The plugin registry this gateway reports to (`plugins`, `plugin_instances`). */
  plugins: PluginRegistry;
  /** Metric roll-ups written to the `metrics` table. */
  rollup: MetricsRollup;
  /** Changes pushed to `GET /admin/stream` subscribers (server states, audited calls). */
  live: LiveUpdates;
  /** Waygate's own OAuth authorization server, when `oauth.builtin` is set. */
  builtinAuth?: BuiltinAuthorizationServer;
  /** True once migrations ran and every auto-started server settled. */
  isReady(): boolean;
}
