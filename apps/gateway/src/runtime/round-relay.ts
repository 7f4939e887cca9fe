import type { RoundRelay } from "@waygate/server";
import type winston from "winston";
import type { GatewayConfig } from "../config/load.js";
import { redactRedisUrl } from "../doctor/check-redis.js";

/**
 * The Redis relay of 2026-07-28 `input_required` rounds when `REDIS_URL` is set: a client's next round may then reach
 * any replica pointed at the same Redis, which relays it to the replica running the call. `undefined` keeps rounds
 * on the replica that parked the call. Its messages are signed with a key derived from `secretKey`, which every
 * replica shares. The gateway closes the relay on shutdown.
 */
export async function createRoundRelay(
  config: GatewayConfig,
  secretKey: string,
  logger: winston.Logger,
): Promise<RoundRelay | undefined> {
  if (config.redisUrl === undefined) return undefined;
  // Loaded only with REDIS_URL, so a single gateway never loads a Redis client.
  const { createRedisRoundRelay } = await import("@waygate/server/redis");
  return createRedisRoundRelay({ url: config.redisUrl, secretKey, logger });
}

/** One line saying where a 2026-07-28 client's next input_required round may go, for the start output. */
export function roundRelayLine(config: GatewayConfig): string {
  if (config.redisUrl === undefined)
    return "input_required rounds: resumed on the replica that parked the call (set REDIS_URL to relay them)";
  return `input_required rounds: relayed between replicas through ${redactRedisUrl(config.redisUrl)}`;
}
