import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIntrospectionCache } from "../src/auth/introspection-cache.js";
import { OAuthOptionsSchema } from "../src/auth/oauth-options.js";
import { connectClient, post, startGateway, type TestGateway } from "./helpers.js";
import { startProvider, type TestProvider } from "./support/oidc-provider.js";

const PUBLIC_URL = "https://gateway.example.test";
const MCP_HEADERS = { accept: "application/json, text/event-stream", "content-type": "application/json" };
const LIST = { jsonrpc: "2.0", id: 1, method: "tools/list", params: {} };

describe("introspection cache against a real provider", () => {
  let provider: TestProvider;
  const gateways: TestGateway[] = [];
  const introspections = () => provider.hits.get("/token/introspection") ?? 0;
  const gatewayWith = async (cache?: Record<string, number>) => {
    const gateway = await startGateway({
      oauth: {
        issuer: provider.issuer,
        publicUrl: PUBLIC_URL,
        introspection: {
          clientId: provider.clientId,
          clientSecret: provider.clientSecret,
          ...(cache ? { cache } : {}),
        },
      },
    });
    gateways.push(gateway);
    return gateway;
  };
  /** One MCP session: connect, list twice, call once, close; several authenticated requests. */
  const session = async (gateway: TestGateway, token: string) => {
    const client = await connectClient(`${gateway.url}/mcp`, token);
    await client.listTools();
    await client.listTools();
    await client.callTool({ name: "local__echo", arguments: { text: "x" } });
    await client.close();
  };

  beforeAll(async () => {
    provider = await startProvider({ opaque: true });
  });
  afterAll(async () => {
    for (const gateway of gateways) await gateway.close();
    await provider?.close();
  });

  it("introspects an active token once for a whole session, and again for each session without the cache", async () => {
    const cached = await gatewayWith();
    const token = await provider.token(`${PUBLIC_URL}/mcp`);
    const before = introspections();
    await session(cached, token);
    await session(cached, token);
    expect(introspections() - before).toBe(1);

    const uncached = await gatewayWith({ maxEntries: 0 });
    const other = await provider.token(`${PUBLIC_URL}/mcp`);
    const start = introspections();
    await session(uncached, other);
    // Every authenticated request of the session asked the issuer.
    expect(introspections() - start).toBeGreaterThanOrEqual(4);
  });

  it("caches an inactive answer briefly: a burst of one bad token costs one introspection, each still refused", async () => {
    const gateway = await gatewayWith();
    const before = introspections();
    for (let i = 0; i < 5; i++) {
      const res = await post(`${gateway.url}/mcp`, LIST, {
        ...MCP_HEADERS,
        authorization: "Bearer not-a-real-token",
      });
      expect(res.status).toBe(401);
      expect(res.body.error.message).toContain("inactive");
    }
    expect(introspections() - before).toBe(1);
  });

  it("still checks the audience of a cached answer on each endpoint", async () => {
    const gateway = await gatewayWith();
    const token = await provider.token(`${PUBLIC_URL}/servers/local/mcp`);
    const single = await connectClient(`${gateway.url}/servers/local/mcp`, token);
    await single.listTools();
    await single.close();
    const wrong = await post(`${gateway.url}/mcp`, LIST, {
      ...MCP_HEADERS,
      authorization: `Bearer ${token}`,
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).toContain("audience");
  });
});

describe("introspection cache bounds", () => {
  const clock = { at: 1_000_000 };
  const now = () => clock.at;
  const settings = { maxEntries: 2, ttlSeconds: 60, negativeTtlSeconds: 5 };

  it("keeps an active answer no longer than the token's expiry, nor than ttlSeconds", () => {
    const cache = createIntrospectionCache(settings, now);
    cache.set("short", { active: true, exp: (clock.at + 10_000) / 1000 });
    cache.set("long", { active: true, exp: (clock.at + 3_600_000) / 1000 });
    clock.at += 10_001;
    expect(cache.get("short")).toBeUndefined();
    expect(cache.get("long")).toMatchObject({ active: true });
    clock.at += 50_000;
    expect(cache.get("long")).toBeUndefined();
  });

  it("keeps an inactive answer negativeTtlSeconds, never an expired one, and at most maxEntries", () => {
    const cache = createIntrospectionCache(settings, now);
    cache.set("bad", { active: false });
    cache.set("gone", { active: true, exp: (clock.at - 1) / 1000 });
    expect(cache.get("gone")).toBeUndefined();
    clock.at += 4_000;
    expect(cache.get("bad")).toEqual({ active: false });
    clock.at += 1_001;
    expect(cache.get("bad")).toBeUndefined();
    for (const token of ["a", "b", "c"]) cache.set(token, { active: true });
    expect(cache.size).toBe(2);
    expect(cache.get("a")).toBeUndefined();
  });

  it("refuses settings out of bounds, naming the field", () => {
    const parse = (cache: Record<string, number>) =>
      OAuthOptionsSchema.safeParse({
        issuer: "https://idp.example",
        publicUrl: PUBLIC_URL,
        introspection: { clientId: "c", clientSecret: "s", cache },
      });
    const tooLong = parse({ ttlSeconds: 7_200 });
    expect(tooLong.success).toBe(false);
    expect(JSON.stringify(tooLong.error?.issues)).toContain("ttlSeconds");
    expect(parse({ negativeTtlSeconds: -1 }).success).toBe(false);
    expect(parse({ unknown: 1 }).success).toBe(false);
  });
});
