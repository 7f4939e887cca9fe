// Every export of this file is public API.
// A separate entry point (`@waygate/server/redis`) so gateways without Redis never load a Redis client.

export type { RoundRelay } from "../mcp/round-relay.js";
export type { RateLimitStoreHealth, SharedRateLimitStore } from "../shared-store.js";
export {
  createRedisRateLimitStore,
  type RedisRateLimitStoreOptions,
  type SendRedisCommand,
} from "./redis-rate-limit-store.js";
export { createRedisRoundRelay, type RedisRoundRelayOptions } from "./redis-round-relay.js";
