import type { SharedRateLimitStore } from "@waygate/server";
import type winston from "winston";
import type { GatewayConfig } from "../config/load.js";
import { redactRedisUrl } from "../doctor/check-redis.js";

/**
 * The Redis-backed rate-limit store when `REDIS_URL` is set, so that every replica pointed at the same Redis
 * enforces one limit per key; `undefined` keeps counters in this process's memory. The store connects in the
 * background and reconnects by itself; the gateway closes it on shutdown.
 */
export async function createRateLimitStore(
  config: GatewayConfig,
  logger: winston.Logger,
): Promise<SharedRateLimitStore | undefined> {
  if (config.redisUrl === undefined) return undefined;
  // Loaded only with REDIS_URL, so a single gateway never loads a Redis client.
  const { createRedisRateLimitStore } = await import("@waygate/server/redis");
  return createRedisRateLimitStore({ url: config.redisUrl, failMode: config.rateLimitFailMode, logger });
}

/** One line saying where rate-limit counters live, for the start output. */
export function rateLimitStoreLine(config: GatewayConfig): string {
  if (config.redisUrl === undefined)
    return "rate limits: counted in this process (set REDIS_URL to share them)";
  return (
    `rate limits: shared through ${redactRedisUrl(config.redisUrl)} ` +
    `(while it is unreachable: fail ${config.rateLimitFailMode})`
  );
}
