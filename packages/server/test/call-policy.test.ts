import { definePlugin, tool } from "@waygate/plugin-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, post, startGateway, type TestGateway } from "./helpers.js";

// Stands in for a bridge: its policy answers like packages/bridge-*'s deniedResult does.
const guarded = definePlugin({
  name: "guarded",
  version: "1.0.0",
  tools: {
    read: tool({
      description: "Reads a repository; refuses any owner but acme",
      input: {},
      handler: () => ({
        content: [{ type: "text", text: "Denied by the 'guarded' bridge: owner 'other' is not allowed" }],
        isError: true,
        _meta: { "waygate/denied": { bridge: "guarded", reason: "owner 'other' is not allowed" } },
      }),
    }),
    broken: tool({
      description: "Fails with an error result that carries unrelated _meta",
      input: {},
      handler: () => ({
        content: [{ type: "text", text: "upstream said no" }],
        isError: true,
        _meta: { "other/marker": true },
      }),
    }),
  },
});

let t: TestGateway;
let key: string;

beforeAll(async () => {
  t = await startGateway({ plugins: [guarded] });
  key = await t.key(["tools:call", "metrics:read"]);
});
afterAll(async () => {
  await t?.close();
});

async function call(tool: string) {
  return post(`${t.url}/mcp/execute`, { tool, arguments: {} }, { authorization: `Bearer ${key}` });
}

describe("tool results a bridge marks as denied", () => {
  it("audits a result marked waygate/denied as denied and counts it as denied", async () => {
    const res = await call("guarded__read");
    expect(res.status).toBe(200);
    expect(res.body.result.isError).toBe(true);
    const row = (await t.auditRows()).find((r) => r.request_id === res.headers.get("x-request-id"));
    expect(row).toMatchObject({
      outcome: "denied",
      server: "guarded",
      tool: "read",
      error: "Denied by the 'guarded' bridge: owner 'other' is not allowed",
    });
    const metrics = String((await get(`${t.url}/metrics`, { authorization: `Bearer ${key}` })).body);
    expect(metrics).toContain('waygate_tool_calls_total{server="guarded",tool="read",outcome="denied"} 1');
  });

  it("keeps an error result without the marker an error", async () => {
    const res = await call("guarded__broken");
    expect(res.status).toBe(200);
    const row = (await t.auditRows()).find((r) => r.request_id === res.headers.get("x-request-id"));
    expect(row).toMatchObject({ outcome: "error", tool: "broken", error: "upstream said no" });
  });
});
