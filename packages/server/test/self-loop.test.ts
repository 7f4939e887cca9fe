import { afterEach, describe, expect, it } from "vitest";
import { connectClient, get, post, startGateway, type TestGateway } from "./helpers.js";

const started: TestGateway[] = [];
afterEach(async () => {
  for (const t of started.splice(0).reverse()) await t.close();
});

async function gateway(overrides: Parameters<typeof startGateway>[0] = {}) {
  const t = await startGateway({ egress: { allow: ["127.0.0.1/32"] }, ...overrides });
  started.push(t);
  return t;
}

async function serverInfoOf(url: string, key?: string) {
  const client = await connectClient(url, key);
  try {
    return client.getServerVersion();
  } finally {
    await client.close();
  }
}

describe("self-loop and aggregation depth", () => {
  it("announces its instance id and aggregation depth in serverInfo", async () => {
    const t = await gateway({ auth: "none" });
    const info = await serverInfoOf(`${t.url}/mcp`);
    expect(info?.name).toBe("waygate");
    expect(info?.description).toMatch(/^Waygate gateway instance [0-9a-f-]{36}, aggregation depth 0$/);
  });

  it("refuses its own /mcp as an upstream with a lastError saying so, and lists no looped tools", async () => {
    const t = await gateway();
    const admin = { authorization: `Bearer ${await t.key(["admin", "tools:list", "tools:call"])}` };
    const res = await post(
      `${t.url}/admin/servers`,
      { name: "loop", url: `${t.url}/mcp`, headers: admin },
      admin,
    );
    expect(res.status).toBe(201);
    expect(res.body.server.state).not.toBe("ready");
    expect(res.body.server.lastError.message).toContain(
      "Upstream 'loop' was refused: its serverInfo carries this gateway's own instance id",
    );
    const tools = (await get(`${t.url}/mcp/tools`, admin)).body.tools as { name: string }[];
    expect(tools.filter((tool) => tool.name.startsWith("loop__"))).toEqual([]);
    expect(tools.map((tool) => tool.name)).toContain("local__echo");
  });

  it("aggregates another Waygate (positive control) and reports one more level of depth", async () => {
    const inner = await gateway({ auth: "none" });
    const outer = await gateway({ auth: "none", upstreams: { inner: { url: `${inner.url}/mcp` } } });
    const tools = (await get(`${outer.url}/mcp/tools`)).body.tools as { name: string }[];
    expect(tools.map((tool) => tool.name)).toContain("inner__local__echo");
    const innerId = /instance ([0-9a-f-]{36})/.exec(
      (await serverInfoOf(`${inner.url}/mcp`))?.description ?? "",
    )?.[1];
    expect((await serverInfoOf(`${outer.url}/mcp`))?.description).toMatch(
      new RegExp(`aggregation depth 1, aggregating ${innerId}$`),
    );
  });

  it("refuses a Waygate that already aggregates this gateway, so two gateways cannot aggregate each other", async () => {
    const a = await gateway({ auth: "none" });
    const b = await gateway({ auth: "none", upstreams: { a: { url: `${a.url}/mcp` } } });
    expect((await get(`${b.url}/mcp/tools`)).body.tools.map((t: { name: string }) => t.name)).toContain(
      "a__local__echo",
    );
    const res = await post(`${a.url}/admin/servers`, { name: "b", url: `${b.url}/mcp` }, {});
    expect(res.status).toBe(201);
    expect(res.body.server.state).not.toBe("ready");
    expect(res.body.server.lastError.message).toContain(
      "Upstream 'b' was refused: it is another Waygate that already aggregates this gateway",
    );
    const tools = (await get(`${a.url}/mcp/tools`)).body.tools as { name: string }[];
    expect(tools.filter((t) => t.name.startsWith("b__"))).toEqual([]);
  });

  it("refuses a Waygate that already aggregates at maxAggregationDepth, naming the option", async () => {
    const inner = await gateway({ auth: "none" });
    const middle = await gateway({ auth: "none", upstreams: { inner: { url: `${inner.url}/mcp` } } });
    const outer = await gateway({ maxAggregationDepth: 1 });
    const admin = { authorization: `Bearer ${await outer.key(["admin", "tools:list"])}` };
    const deep = await post(
      `${outer.url}/admin/servers`,
      { name: "middle", url: `${middle.url}/mcp` },
      admin,
    );
    expect(deep.body.server.state).not.toBe("ready");
    expect(deep.body.server.lastError.message).toContain(
      "it is another Waygate that already aggregates at depth 1; gateways may nest only 1 deep (option maxAggregationDepth)",
    );
    const shallow = await post(
      `${outer.url}/admin/servers`,
      { name: "inner", url: `${inner.url}/mcp` },
      admin,
    );
    expect(shallow.body.server).toMatchObject({ name: "inner", state: "ready" });
  });

  it("rejects a negative maxAggregationDepth when the gateway is created", async () => {
    await expect(startGateway({ maxAggregationDepth: -1 })).rejects.toThrow(/maxAggregationDepth/);
  });
});
