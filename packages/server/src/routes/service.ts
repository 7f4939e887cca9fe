import { type Router as ExpressRouter, Router as expressRouter } from "express";
import { type authenticate, requireScope } from "../auth.js";
import { backendStatus } from "../backend.js";
import type { GatewayContext } from "../gateway-context.js";
import { isSharedRateLimitStore } from "../shared-store.js";

/** `GET /`, `/health`, `/ready` and `/metrics`. */
export function serviceRoutes(ctx: GatewayContext, auth: ReturnType<typeof authenticate>): ExpressRouter {
  const routes = expressRouter();

  routes.get("/", (_req, res) => {
    res.json({
      name: ctx.options.serverInfo.name,
      version: ctx.options.serverInfo.version,
      auth: ctx.options.auth,
      startedAt: ctx.startedAt.toISOString(),
      endpoints: {
        mcp: "/mcp",
        singleServerMcp: "/servers/{name}/mcp",
        legacySse: "/sse",
        execute: "/mcp/execute",
        tools: "/mcp/tools",
        servers: "/mcp/servers",
        status: "/mcp/status",
        health: "/health",
        ready: "/ready",
        metrics: "/metrics",
        admin: "/admin",
      },
    });
  });

  routes.get("/health", async (_req, res) => {
    // One after the other: two writers from this process would contend for the same lock.
    const audit = await ctx.auditGuard.check();
    const probe = await ctx.store.ping();
    // A write that commits is what the gateway needs; a failed audit write (full disk) counts against it too.
    const database =
      probe.ok && !audit.ok
        ? { ok: false, latencyMs: probe.latencyMs, error: `Audit rows cannot be written: ${audit.error}` }
        : probe;
    const servers = ctx.router.backends().map(backendStatus);
    const serversOk = servers.every((s) => s.state === "ready");
    const rateLimit = isSharedRateLimitStore(ctx.rateLimitStore)
      ? ctx.rateLimitStore.health()
      : { kind: "memory", ok: true };
    const status = !database.ok ? "down" : serversOk && rateLimit.ok ? "ok" : "degraded";
    res.status(database.ok ? 200 : 503).json({ status, database, audit, rateLimit, servers });
  });

  routes.get("/ready", async (_req, res) => {
    const migrated = await ctx.store.schemaCurrent();
    const ready = migrated && ctx.isReady();
    res.status(ready ? 200 : 503).json({
      ready,
      migrated,
      servers: ctx.router.backends().map((b) => ({ name: b.name, state: b.plugin.getStatus().state })),
    });
  });

  const metricsGuard =
    ctx.options.metrics === "open" ? [] : [auth, requireScope("metrics:read", ctx.production)];
  routes.get("/metrics", ...metricsGuard, async (_req, res, next) => {
    try {
      const body = await ctx.metrics.registry.metrics();
      res.type(ctx.metrics.registry.contentType).send(body);
    } catch (error) {
      next(error);
    }
  });

  return routes;
}
