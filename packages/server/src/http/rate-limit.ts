import type { Request, RequestHandler, Response } from "express";
import { ipKeyGenerator, MemoryStore, rateLimit, type Store } from "express-rate-limit";
import type winston from "winston";
import { GatewayError } from "../errors/errors.js";
import { sendError } from "../errors/send-error.js";
import type { GatewayMetrics } from "../metrics.js";
import { isSharedRateLimitStore } from "../shared-store.js";
import { callerNoun, contextOf } from "./request-context.js";

/** Settings of the per-key rate limiter. */
export interface RateLimitOptions {
  windowMs: number;
  /** Requests per window for keys without their own limit. */
  defaultLimit: number;
  store: Store;
  metrics: GatewayMetrics;
  production: boolean;
  logger: winston.Logger;
  /** Called before the 429 (or a fail-closed 503) is sent, e.g. to audit a refused tool call; awaited. */
  onLimited?: (req: Request, res: Response, error?: string) => Promise<void>;
  /** Units a request costs (a JSON-RPC batch costs one per request in it); 1 when absent or below 1. */
  costOf?: (req: Request) => number;
}

/** A per-gateway in-memory store; use a shared store (Redis) when running several replicas. */
export function createMemoryRateLimitStore(): Store {
  return new MemoryStore();
}

/** Limits requests per API key (per client IP when auth is off); 429 with Retry-After and RateLimit headers. */
export function perKeyRateLimit(options: RateLimitOptions): RequestHandler {
  const perWindow = (perMinute: number) => Math.max(1, Math.round((perMinute * options.windowMs) / 60_000));
  // A shared store that fails open lets requests through while its backend is down; it logs the outage itself,
  // once, so express-rate-limit's per-request error log goes to debug.
  const failOpen = isSharedRateLimitStore(options.store) && options.store.health().failMode === "open";
  const limiter = rateLimit({
    windowMs: options.windowMs,
    store: options.store,
    passOnStoreError: failOpen,
    logger: {
      error: (error, message) =>
        options.logger.debug(message ?? "rate-limit store error", { error: String(error) }),
      warn: (error, message) =>
        options.logger.warn(message ?? "rate-limit store warning", { error: String(error) }),
    },
    standardHeaders: "draft-8",
    // A batch is charged once per request in it, by running the limiter that many times on one HTTP request.
    validate: { singleCount: false },
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
          `Rate limit exceeded for ${callerNoun(context.caller).replace(/^This/, "this")}; retry after ${retryAfter ?? "?"} s`,
        ),
        options.production,
      );
    },
  });
  // A shared store failing closed refuses the request with 503; audit the refused tool calls like a 429.
  const chargeOnce = (req: Request, res: Response, next: (error?: unknown) => void) => {
    limiter(req, res, (error?: unknown) => {
      if (!GatewayError.isInstance(error) || error.code !== "rate_limit_unavailable") return next(error);
      void (options.onLimited?.(req, res, "rate-limit store unavailable (fail closed)") ?? Promise.resolve())
        .catch(() => {})
        .then(() => next(error));
    });
  };
  // Each unit goes through the limiter in turn; the one over the limit answers 429 for the whole request.
  return (req, res, next) => {
    const cost = Math.max(1, Math.floor(options.costOf?.(req) ?? 1));
    let charged = 0;
    const chargeNext = (error?: unknown) => {
      if (error !== undefined) return next(error);
      charged += 1;
      if (charged >= cost) return next();
      chargeOnce(req, res, chargeNext);
    };
    chargeOnce(req, res, chargeNext);
  };
}
