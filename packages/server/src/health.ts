import type { GatewayContext } from "./gateway-context.js";
import type { AuditHealth } from "./policy/audit-guard.js";
import { type BackendStatus, backendStatus } from "./routing/backend.js";
import { isSharedRateLimitStore, type RateLimitStoreHealth } from "./shared-store.js";

/** The gateway's health with every detail: what `/health` shows a key with `metrics:read` or `admin`. */
export interface HealthReport {
  /** `down` while the database cannot take a write; `degraded` while a server or the rate-limit store is not ok. */
  status: "ok" | "degraded" | "down";
  database: { ok: boolean; latencyMs: number; error?: string };
  audit: AuditHealth;
  rateLimit: RateLimitStoreHealth | { kind: "memory"; ok: true };
  servers: BackendStatus[];
}

/** What `/health` shows anyone else: the overall status and whether each check is ok, no names or error text. */
export interface HealthStatusView {
  status: HealthReport["status"];
  database: { ok: boolean };
  audit: { ok: boolean };
  rateLimit: { ok: boolean };
  servers: { ok: boolean };
}

/** Checks the database (a write must commit), the audit, the rate-limit store and every server. */
export async function checkHealth(ctx: GatewayContext): Promise<HealthReport> {
  // One after the other: two writers from this process would contend for the same lock.
  const audit = await ctx.auditGuard.check();
  const probe = await ctx.store.ping();
  // A write that commits is what the gateway needs; a failed audit write (full disk) counts against it too.
  const database =
    probe.ok && !audit.ok
      ? { ok: false, latencyMs: probe.latencyMs, error: `Audit rows cannot be written: ${audit.error}` }
      : probe;
  const servers = ctx.router.backends().map(backendStatus);
  const rateLimit = isSharedRateLimitStore(ctx.rateLimitStore)
    ? ctx.rateLimitStore.health()
    : { kind: "memory" as const, ok: true as const };
  const status = !database.ok ? "down" : serversOk(servers) && rateLimit.ok ? "ok" : "degraded";
  return { status, database, audit, rateLimit, servers };
}

/** The report without names, paths or error text. */
export function healthStatusView(report: HealthReport): HealthStatusView {
  return {
    status: report.status,
    database: { ok: report.database.ok },
    audit: { ok: report.audit.ok },
    rateLimit: { ok: report.rateLimit.ok },
    servers: { ok: serversOk(report.servers) },
  };
}

function serversOk(servers: readonly BackendStatus[]): boolean {
  return servers.every((s) => s.state === "ready");
}
