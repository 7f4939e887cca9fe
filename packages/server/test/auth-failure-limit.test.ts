import { afterEach, describe, expect, it } from "vitest";
import { get, startGateway, type TestGateway } from "./helpers.js";

const started: TestGateway[] = [];
afterEach(async () => {
  for (const t of started.splice(0)) await t.close();
});

async function gateway(limit: number) {
  const t = await startGateway({ authFailures: { windowMs: 60_000, limit } });
  started.push(t);
  return t;
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const unknownKey = (i: number) => `wg_${String(i).padStart(12, "k")}_${"x".repeat(43)}`;

describe("failed authentications per client address", () => {
  it("answers 429 with Retry-After once an address used up its failures, before any key lookup, even for a good key", async () => {
    const t = await gateway(3);
    const good = await t.key(["tools:list"]);
    for (let i = 0; i < 3; i++)
      expect((await get(`${t.url}/mcp/tools`, bearer(unknownKey(i)))).status).toBe(401);
    const limited = await get(`${t.url}/mcp/tools`, bearer(unknownKey(99)));
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({
      code: "rate_limited",
      message: expect.stringMatching(
        /^Too many failed authentications from this address; retry after \d+ s$/,
      ),
    });
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await get(`${t.url}/mcp/tools`, bearer(good))).status).toBe(429);
    const metrics = await (
      await t.gateway.metricsRegistry.getSingleMetric("waygate_auth_failures_total")?.get()
    )?.values;
    expect(metrics?.find((v) => v.labels.reason === "address_limited")?.value).toBe(2);
    expect(metrics?.find((v) => v.labels.reason === "unknown")?.value).toBe(3);
  });

  it("counts requests without a key and with a malformed one too", async () => {
    const t = await gateway(2);
    expect((await get(`${t.url}/mcp/tools`)).status).toBe(401);
    expect((await get(`${t.url}/mcp/tools`, { authorization: "Bearer " })).status).toBe(401);
    expect((await get(`${t.url}/mcp/tools`)).status).toBe(429);
  });

  it("does not count successful authentications (positive control: a busy good key is never limited here)", async () => {
    const t = await gateway(2);
    const good = await t.key(["tools:list"]);
    for (let i = 0; i < 10; i++) expect((await get(`${t.url}/mcp/tools`, bearer(good))).status).toBe(200);
    expect((await get(`${t.url}/mcp/tools`, bearer(unknownKey(1)))).status).toBe(401);
    expect((await get(`${t.url}/mcp/tools`, bearer(good))).status).toBe(200);
  });

  it("rejects a limit below 1 when the gateway is created", async () => {
    await expect(startGateway({ authFailures: { limit: 0 } })).rejects.toThrow(/authFailures\.limit/);
  });
});
