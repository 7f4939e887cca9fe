import type { RequestHandler } from "express";
import type winston from "winston";
import { contextOf } from "./request-context.js";

/** Logs one structured line per request at the `http` level (set `LOG_LEVEL=http` to see them). */
export function accessLog(logger: winston.Logger): RequestHandler {
  return (req, res, next) => {
    if (!logger.isLevelEnabled("http")) return next();
    const started = performance.now();
    res.once("finish", () => {
      const context = contextOf(res);
      const routePath = (req.route as { path?: string } | undefined)?.path;
      logger.http("http request", {
        requestId: context.requestId,
        keyId: context.caller?.keyId ?? null,
        method: req.method,
        route: routePath === undefined ? "unmatched" : `${req.baseUrl}${routePath}`,
        status: res.statusCode,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
      });
    });
    next();
  };
}
