import { monitorEventLoopDelay } from "node:perf_hooks";
import { type Router as ExpressRouter, Router as expressRouter } from "express";
import { requireScope } from "../../auth/authenticate.js";
import type { GatewayContext } from "../../gateway-context.js";
import { backendStatus } from "../../routing/backend.js";

/** `GET /diagnostics/connection` and `/diagnostics/performance` (admin scope); `stop()` ends the loop monitor. */
export function diagnosticsRoutes(ctx: GatewayContext): { routes: ExpressRouter; stop: () => void } {
  const routes = expressRouter();
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  loopDelay.enable();
  routes.use(requireScope("admin", ctx.production));

  routes.get("/connection", async (_req, res) => {
    const database = await ctx.store.ping();
    const servers = await Promise.all(
      ctx.router.backends().map(async (backend) => {
        const started = performance.now();
        const health = await backend.plugin.healthCheck().catch((error: unknown) => ({
          healthy: false,
          message: String((error as Error).message ?? error),
        }));
        return { ...backendStatus(backend), health, latencyMs: round(performance.now() - started) };
      }),
    );
    res.json({
      database: { kind: ctx.store.kind, synchronous: ctx.store.db.synchronous ?? null, ...database },
      servers,
    });
  });

  routes.get("/performance", (_req, res) => {
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    res.json({
      uptimeSeconds: Math.round(process.uptime()),
      memory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, heapTotalBytes: memory.heapTotal },
      cpuSeconds: { user: round(cpu.user / 1e6), system: round(cpu.system / 1e6) },
      eventLoopDelayMs: {
        p50: round(loopDelay.percentile(50) / 1e6),
        p99: round(loopDelay.percentile(99) / 1e6),
        max: round(loopDelay.max / 1e6),
      },
      inFlightCalls: ctx.policy.inFlight(),
      sessions: ctx.sessions.count(),
      auditQueueDepth: ctx.store.auditDepth(),
    });
  });

  return { routes, stop: () => loopDelay.disable() };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
