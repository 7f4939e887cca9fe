import type { Request, RequestHandler, Response } from "express";
import { ipKeyGenerator, MemoryStore, rateLimit, type Store } from "express-rate-limit";
import { GatewayError } from "./errors.js";
import type { GatewayMetrics } from "./metrics.js";
import { contextOf } from "./request-context.js";
import { sendError } from "./send-error.js";

/** Settings of the per-key rate limiter. */
export interface RateLimitOptions {
  windowMs: number;
  /** Requests per window for keys without their own limit. */
  defaultLimit: number;
  store: Store;
  metrics: GatewayMetrics;
  production: boolean;
  /** Called before the 429 is sent, e.g. to audit a refused tool call; awaited. */
  onLimited?: (req: Request, res: Response) => Promise<void>;
}

/** A per-gateway in-memory store; use a shared store (Redis) when running several replicas. */
export function createMemoryRateLimitStore(): Store {
  return new MemoryStore();
}

/** Limits requests per API key (per client IP when auth is off); 429 with Retry-After and RateLimit headers. */
export function perKeyRateLimit(options: RateLimitOptions): RequestHandler {
  const perWindow = (perMinute: number) => Math.max(1, Math.round((perMinute * options.windowMs) / 60_000));
  return rateLimit({
    windowMs: options.windowMs,
    store: options.store,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    identifier: "per-key",
    limit: (_req, res) => {
      const own = contextOf(res).caller?.rateLimitPerMinute;
      return own ? perWindow(own) : options.defaultLimit;
    },
    keyGenerator: (req, res) => {
      const keyId = contextOf(res).caller?.keyId;
      return keyId ? `key:${keyId}` : `ip:${ipKeyGenerator(req.ip ?? "unknown")}`;
    },
    handler: async (req, res) => {
      const context = contextOf(res);
      options.metrics.rateLimited.inc({ transport: context.errorStyle === "jsonrpc" ? "mcp" : "rest" });
      await options.onLimited?.(req, res);
      const retryAfter = res.getHeader("Retry-After");
      sendError(
        res,
        new GatewayError(
          "rate_limited",
          `Rate limit exceeded for this API key; retry after ${retryAfter ?? "?"} s`,
        ),
        options.production,
      );
    },
  });
}
