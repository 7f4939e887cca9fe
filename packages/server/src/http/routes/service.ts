import { type Router as ExpressRouter, Router as expressRouter } from "express";
import { type authenticate, requireScope } from "../../auth/authenticate.js";
import type { GatewayContext } from "../../gateway-context.js";

/** `GET /` and `/metrics` (`/livez`, `/health` and `/ready` are probe routes). */
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
        live: "/livez",
        health: "/health",
        ready: "/ready",
        metrics: "/metrics",
        admin: "/admin",
      },
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
