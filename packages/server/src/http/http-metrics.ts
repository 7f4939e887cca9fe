import type { RequestHandler } from "express";
import type { GatewayMetrics } from "../metrics.js";

/** Counts and times every HTTP request by route pattern (never the raw path, so labels stay bounded). */
export function httpMetrics(metrics: GatewayMetrics): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.on("finish", () => {
      const routePath = (req.route as { path?: string } | undefined)?.path;
      const route = routePath === undefined ? "unmatched" : `${req.baseUrl}${routePath}`;
      const labels = { method: req.method, route, status: String(res.statusCode) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, (performance.now() - started) / 1000);
    });
    next();
  };
}
