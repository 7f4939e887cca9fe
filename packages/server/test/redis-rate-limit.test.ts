import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createGateway, createLogger } from "../src/index.js";
import { createRedisRateLimitStore } from "../src/redis/index.js";
import {
  get,
  localPlugin,
  memoryLogger,
  post,
  SECRET_KEY,
  startGateway,
  type TestGateway,
} from "./helpers.js";
import { type RedisProcess, startRedis } from "./support/redis-server.js";

let redis: RedisProcess;
const cleanups: Array<() => Promise<unknown>> = [];

beforeEach(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await redis.dispose();
});

async function gatewayWithRedis(failMode: "open" | "closed", logger = createLogger({ silent: true })) {
  const store = createRedisRateLimitStore({ url: redis.url, failMode, logger });
  const t = await startGateway({ rateLimitStore: store, logger });
  cleanups.push(() => t.close());
  return t;
}

/** Headers of a key that may see /health's details. */
async function metricsAuth(t: TestGateway) {
  return { authorization: `Bearer ${await t.key(["metrics:read"])}` };
}

function callEcho(t: TestGateway | { url: string }, key: string) {
  return post(
    `${t.url}/mcp/execute`,
    { tool: "local__echo", arguments: { text: "hi" } },
    {
      authorization: `Bearer ${key}`,
    },
  );
}

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("Redis rate-limit store", () => {
  it("shares one key's limit between two gateways on the same Redis", async () => {
    const a = await gatewayWithRedis("closed");
    const b = await createGateway({
      database: a.db,
      secretKey: SECRET_KEY,
      env: "test",
      logger: createLogger({ silent: true }),
      collectDefaultMetrics: false,
      plugins: [localPlugin()],
      rateLimitStore: createRedisRateLimitStore({ url: redis.url }),
    });
    cleanups.push(() => b.close({ deadlineMs: 1000 }));
    const bAddress = await b.listen({ host: "127.0.0.1", port: 0 });
    const key = await a.key(["tools:call"], { rateLimitPerMinute: 6 });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await callEcho(i % 2 ? a : bAddress, key)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
    const health = await get(`${a.url}/health`, await metricsAuth(a));
    expect(health.body.rateLimit).toEqual({ kind: "redis", ok: true, failMode: "closed" });
  });

  it("fails open while Redis is down, says so in /health and the log, and limits again once it returns", async () => {
    const { logger, entries } = memoryLogger();
    const t = await gatewayWithRedis("open", logger);
    const key = await t.key(["tools:call"], { rateLimitPerMinute: 3 });
    expect((await callEcho(t, key)).status).toBe(200);

    await redis.stop({ crash: true });
    for (let i = 0; i < 5; i++) expect((await callEcho(t, key)).status).toBe(200);
    const down = await get(`${t.url}/health`, await metricsAuth(t));
    expect(down.status).toBe(200);
    expect(down.body.status).toBe("degraded");
    expect(down.body.rateLimit).toMatchObject({ kind: "redis", ok: false, failMode: "open" });
    expect(down.body.rateLimit.downSince).toEqual(expect.any(String));
    const outage = entries.filter((e) => e.message.startsWith("rate-limit store unreachable"));
    expect(outage).toHaveLength(1);
    expect(outage[0]?.message).toContain("WITHOUT rate limits");

    await redis.start();
    // A fresh Redis has no counters, so the key gets its full budget back, and then the limit holds again.
    await until(
      async () =>
        (await callEcho(t, key)).status === 200 &&
        (await get(`${t.url}/health`, await metricsAuth(t))).body.rateLimit.ok,
    );
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await callEcho(t, key)).status);
    expect(statuses).toContain(429);
    expect((await get(`${t.url}/health`, await metricsAuth(t))).body.status).toBe("ok");
    expect(entries.some((e) => e.message.startsWith("rate-limit store reachable again"))).toBe(true);
  });

  it("fails closed with 503 naming the store while Redis is down, and serves again once it returns", async () => {
    const t = await gatewayWithRedis("closed");
    const key = await t.key(["tools:call"]);
    expect((await callEcho(t, key)).status).toBe(200);

    await redis.stop({ crash: true });
    const refused = await callEcho(t, key);
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe("rate_limit_unavailable");
    expect(refused.body.error.message).toContain("rate-limit store (Redis) is unreachable");
    const row = (await t.auditRows()).find((r) => r.request_id === refused.headers.get("x-request-id"));
    expect(row).toMatchObject({
      outcome: "rate_limited",
      server: "local",
      tool: "echo",
      error: "rate-limit store unavailable (fail closed)",
    });
    const health = await get(`${t.url}/health`, await metricsAuth(t));
    expect(health.body.rateLimit).toMatchObject({ ok: false, failMode: "closed" });

    await redis.start();
    await until(async () => (await callEcho(t, key)).status === 200);
    expect((await get(`${t.url}/health`, await metricsAuth(t))).body.rateLimit.ok).toBe(true);
  });

  it("refuses JSON-RPC calls on /mcp with a JSON-RPC error while failing closed", async () => {
    const t = await gatewayWithRedis("closed");
    const key = await t.key(["tools:call", "tools:list"]);
    await redis.stop({ crash: true });
    const res = await post(
      `${t.url}/mcp`,
      { jsonrpc: "2.0", id: 1, method: "tools/list" },
      { authorization: `Bearer ${key}`, accept: "application/json, text/event-stream" },
    );
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe(-32002);
    expect(res.body.error.message).toContain("Redis");
  });

  it("starts while Redis is still down and picks it up when it comes", async () => {
    await redis.stop();
    const t = await gatewayWithRedis("open");
    const key = await t.key(["tools:call"], { rateLimitPerMinute: 2 });
    expect((await callEcho(t, key)).status).toBe(200);
    expect((await get(`${t.url}/health`, await metricsAuth(t))).body.rateLimit.ok).toBe(false);
    await redis.start();
    // The store learns that Redis is back from the next request it serves.
    await until(async () => {
      await callEcho(t, key);
      return (await get(`${t.url}/health`, await metricsAuth(t))).body.rateLimit.ok;
    });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await callEcho(t, key)).status);
    expect(statuses).toContain(429);
  });

  it("refuses options without a URL or command function, and an unknown fail mode", () => {
    expect(() => createRedisRateLimitStore({})).toThrow("needs exactly one of `url` or `sendCommand`");
    expect(() => createRedisRateLimitStore({ url: redis.url, failMode: "maybe" as "open" })).toThrow(
      'failMode must be "open" or "closed", got "maybe".',
    );
  });
});
