import { createClient } from "@redis/client";
import type { ClientRateLimitInfo, IncrementResponse, Options } from "express-rate-limit";
import { RedisStore } from "rate-limit-redis";
import type winston from "winston";
import { GatewayError } from "../errors/errors.js";
import type { RateLimitStoreHealth, SharedRateLimitStore } from "../shared-store.js";
import { describeRedisError } from "./describe-error.js";

/** Sends one raw Redis command; node-redis's `client.sendCommand` fits. */
export type SendRedisCommand = (args: string[]) => Promise<unknown>;

/** Options of {@link createRedisRateLimitStore}. */
export interface RedisRateLimitStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` (REDIS_URL); the store opens and closes the client. */
  url?: string;
  /** Or bring your own connected client's command function; the store then never closes it. */
  sendCommand?: SendRedisCommand;
  /** `open` (default) serves requests without limits while Redis is down; `closed` refuses them with 503. */
  failMode?: "open" | "closed";
  /** Key prefix in Redis (default `waygate:rl:`). */
  prefix?: string;
  /** A Redis command that takes longer counts as a failure (default 500 ms). */
  commandTimeoutMs?: number;
  /** Where outages and recoveries are logged. */
  logger?: winston.Logger;
}

/**
 * A rate-limit store that keeps counters in Redis (through `rate-limit-redis`), so a per-key limit holds across
 * replicas. While Redis is unreachable it fails open or closed as configured, reports it in `health()`, logs the
 * outage once and the recovery once, and resumes by itself when Redis answers again.
 */
export function createRedisRateLimitStore(options: RedisRateLimitStoreOptions): SharedRateLimitStore {
  if (!options.url === !options.sendCommand) {
    throw new GatewayError(
      "invalid_options",
      "createRedisRateLimitStore needs exactly one of `url` or `sendCommand`.",
    );
  }
  const failMode = options.failMode ?? "open";
  if (failMode !== "open" && failMode !== "closed") {
    throw new GatewayError(
      "invalid_options",
      `failMode must be "open" or "closed", got ${JSON.stringify(failMode)}.`,
    );
  }
  const timeoutMs = options.commandTimeoutMs ?? 500;
  const logger = options.logger;
  const owned = options.url ? openClient(options.url, logger) : undefined;
  const send: SendRedisCommand = owned
    ? (args) => owned.sendCommand(args)
    : (options.sendCommand as SendRedisCommand);
  const redis = new RedisStore({
    prefix: options.prefix ?? "waygate:rl:",
    sendCommand: (...args: string[]) => withTimeout(send(args), timeoutMs) as never,
  });
  let initOptions: Options | undefined;
  let scriptsLoaded = false;
  let down: { error: string; since: Date } | undefined;

  const markUp = () => {
    if (!down) return;
    logger?.info("rate-limit store reachable again; per-key limits are shared once more", { store: "redis" });
    down = undefined;
  };
  const markDown = (error: unknown) => {
    const message = describeRedisError(error);
    if (!down) {
      logger?.error(
        failMode === "open"
          ? "rate-limit store unreachable; serving requests WITHOUT rate limits until it returns (failMode open)"
          : "rate-limit store unreachable; refusing rate-limited requests with 503 until it returns (failMode closed)",
        { store: "redis", error: message },
      );
      down = { error: message, since: new Date() };
    } else down.error = message;
    scriptsLoaded = false;
  };

  // rate-limit-redis loads its scripts once in init(); reload them after any failure, so a Redis that was down
  // at start (or restarted and lost its script cache) is picked up again.
  async function ready(): Promise<void> {
    if (scriptsLoaded) return;
    await owned?.firstConnect;
    if (!initOptions) throw new Error("the store was used before express-rate-limit initialised it");
    await redis.init(initOptions);
    scriptsLoaded = true;
  }

  async function guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      await ready();
      const result = await work();
      markUp();
      return result;
    } catch (error) {
      markDown(error);
      throw new GatewayError(
        "rate_limit_unavailable",
        "The shared rate-limit store (Redis) is unreachable and this gateway fails closed; retry shortly.",
        { cause: error },
      );
    }
  }

  return {
    localKeys: false,
    prefix: options.prefix ?? "waygate:rl:",
    init(config: Options) {
      initOptions = config;
      // Load the scripts now so the first request does not pay for it; a failure here is retried per request.
      void guarded(async () => undefined).catch(() => {});
    },
    increment: (key: string): Promise<IncrementResponse> => guarded(() => redis.increment(key)),
    decrement: (key: string) => guarded(() => redis.decrement(key)),
    resetKey: (key: string) => guarded(() => redis.resetKey(key)),
    get: (key: string): Promise<ClientRateLimitInfo | undefined> => guarded(() => redis.get(key)),
    health(): RateLimitStoreHealth {
      return {
        kind: "redis",
        ok: !down,
        failMode,
        ...(down ? { error: down.error, downSince: down.since.toISOString() } : {}),
      };
    },
    async shutdown() {
      if (owned?.isOpen) await owned.close().catch(() => owned.destroy());
    },
  };
}

/** The few client methods the store uses. */
interface OwnedClient {
  readonly isOpen: boolean;
  /** Settles once the first connection attempt ended (or after the connect timeout): requests wait only for that. */
  readonly firstConnect: Promise<void>;
  sendCommand(args: string[]): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
}

const CONNECT_TIMEOUT_MS = 2000;

function openClient(url: string, logger: winston.Logger | undefined): OwnedClient {
  const client = createClient({
    url,
    // Fail a command at once while disconnected instead of queueing it behind a request.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 1000),
    },
  });
  // Without a listener node-redis would crash the process on a connection error; outages are logged by the store.
  client.on("error", (error: Error) =>
    logger?.debug("redis connection error", { error: describeRedisError(error) }),
  );
  const connecting = client
    .connect()
    .then(() => undefined)
    .catch((error: unknown) => {
      logger?.warn("redis connect failed", { error: describeRedisError(error) });
    });
  const firstConnect = withTimeout(connecting, CONNECT_TIMEOUT_MS).catch(() => undefined);
  return {
    get isOpen() {
      return client.isOpen;
    },
    firstConnect,
    sendCommand: (args) => client.sendCommand(args),
    close: () => client.close(),
    destroy: () => client.destroy(),
  };
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
