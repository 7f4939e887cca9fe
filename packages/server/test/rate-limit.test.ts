import { MemoryStore, type Options, type Store } from "express-rate-limit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, post, startGateway, type TestGateway } from "./helpers.js";

/** A store that delegates to MemoryStore and records which keys it counted, proving the gateway uses it. */
class RecordingStore implements Store {
  readonly keys: string[] = [];
  readonly #inner = new MemoryStore();
  init(options: Options) {
    this.#inner.init(options);
  }
  increment(key: string) {
    this.keys.push(key);
    return this.#inner.increment(key);
  }
  decrement(key: string) {
    return this.#inner.decrement(key);
  }
  resetKey(key: string) {
    return this.#inner.resetKey(key);
  }
  shutdown() {
    this.#inner.shutdown();
  }
}

let t: TestGateway;
const store = new RecordingStore();

beforeAll(async () => {
  t = await startGateway({ rateLimitStore: store });
});
afterAll(async () => {
  await t?.close();
});

const initialize = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } },
};

describe("per-key rate limit", () => {
  it("counts the REST lists and status against the key's limit too", async () => {
    const key = await t.key(["tools:list"], { rateLimitPerMinute: 2 });
    const headers = { authorization: `Bearer ${key}` };
    expect((await get(`${t.url}/mcp/tools`, headers)).status).toBe(200);
    expect((await get(`${t.url}/mcp/servers`, headers)).status).toBe(200);
    const limited = await get(`${t.url}/mcp/status`, headers);
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ code: "rate_limited" });
  });

  it("answers REST calls over the key's limit with 429, Retry-After and RateLimit headers, and audits them", async () => {
    const key = await t.key(["tools:call"], { rateLimitPerMinute: 2 });
    const call = () =>
      post(
        `${t.url}/mcp/execute`,
        { tool: "local__echo", arguments: { text: "x" } },
        { authorization: `Bearer ${key}` },
      );
    const first = await call();
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit-policy")).toContain("q=2");
    expect((await call()).status).toBe(200);
    const limited = await call();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.headers.get("ratelimit")).toContain("r=0");
    expect(limited.body.error).toMatchObject({ code: "rate_limited" });
    expect(limited.body.error.message).toContain("Rate limit exceeded");
    const row = (await t.auditRows()).find((r) => r.request_id === limited.headers.get("x-request-id"));
    expect(row).toMatchObject({ outcome: "rate_limited", server: "local", tool: "echo", transport: "rest" });
  });

  it("answers /mcp over the limit with 429 and a JSON-RPC error body, auditing a refused tools/call", async () => {
    const key = await t.key(["tools:call"], { rateLimitPerMinute: 1 });
    const headers = { authorization: `Bearer ${key}`, accept: "application/json, text/event-stream" };
    expect((await post(`${t.url}/mcp`, initialize, headers)).status).toBe(200);
    const limited = await post(
      `${t.url}/mcp`,
      {
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "local__echo", arguments: { text: "y" } },
      },
      { ...headers, "mcp-session-id": "any" },
    );
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({
      jsonrpc: "2.0",
      error: { code: -32012, data: { code: "rate_limited" } },
    });
    const row = (await t.auditRows()).find((r) => r.request_id === limited.headers.get("x-request-id"));
    expect(row).toMatchObject({ outcome: "rate_limited", server: "local", tool: "echo", transport: "mcp" });
  });

  it("counts each key separately, in the store given in the options", async () => {
    const a = await t.key(["tools:call"], { rateLimitPerMinute: 1 });
    const b = await t.key(["tools:call"], { rateLimitPerMinute: 1 });
    const body = { tool: "local__echo", arguments: { text: "z" } };
    expect((await post(`${t.url}/mcp/execute`, body, { authorization: `Bearer ${a}` })).status).toBe(200);
    expect((await post(`${t.url}/mcp/execute`, body, { authorization: `Bearer ${b}` })).status).toBe(200);
    expect((await post(`${t.url}/mcp/execute`, body, { authorization: `Bearer ${a}` })).status).toBe(429);
    expect(new Set(store.keys.filter((k) => k.startsWith("key:"))).size).toBeGreaterThanOrEqual(2);
  });
});
