import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { CreateMessageRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient, get, post, serverEverythingPath, startGateway, type TestGateway } from "./helpers.js";

let t: TestGateway;
let key: string;
const clients: Client[] = [];

beforeAll(async () => {
  t = await startGateway({
    upstreams: {
      everything: { command: process.execPath, args: [serverEverythingPath(), "stdio"] },
      broken: { command: process.execPath, args: ["-e", "process.exit(3)"] },
    },
  });
  key = await t.key();
}, 60_000);
afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await t?.close();
});

describe("stdio upstream (server-everything)", () => {
  it("aggregates the upstream's tools as everything__<name> next to the plugin's", async () => {
    const c = await connectClient(`${t.url}/mcp`, key);
    clients.push(c);
    const names = (await c.listTools()).tools.map((x) => x.name);
    expect(names).toContain("everything__echo");
    expect(names).toContain("local__echo");
    const result = await c.callTool({
      name: "everything__echo",
      arguments: { message: "through the gateway" },
    });
    expect(JSON.stringify(result.content)).toContain("through the gateway");
  });

  it("passes the upstream through unchanged on /servers/everything/mcp", async () => {
    const c = await connectClient(`${t.url}/servers/everything/mcp`, key);
    clients.push(c);
    const names = (await c.listTools()).tools.map((x) => x.name);
    expect(names).toContain("echo");
    expect(names.every((n) => !n.includes("__"))).toBe(true);
    const templates = await c.listResourceTemplates();
    expect(templates.resourceTemplates.length).toBeGreaterThan(0);
    const prompts = await c.listPrompts();
    expect(prompts.prompts.length).toBeGreaterThan(0);
  });

  it("passes an upstream's progress notifications through to the client", async () => {
    const c = await connectClient(`${t.url}/servers/everything/mcp`, key);
    clients.push(c);
    const progress: number[] = [];
    const result = await c.callTool(
      { name: "trigger-long-running-operation", arguments: { duration: 0.2, steps: 2 } },
      undefined,
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(JSON.stringify(result.content)).toContain("Long running operation completed");
    expect(progress).toEqual([1, 2]);
  });

  it("passes an upstream's sampling request through to the client and its answer back", async () => {
    const c = await connectClient(`${t.url}/servers/everything/mcp`, key, {
      capabilities: { capabilities: { sampling: {} } },
    });
    clients.push(c);
    c.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: "assistant",
      model: "test-model",
      content: { type: "text", text: "sampled by the test client" },
    }));
    const names = (await c.listTools()).tools.map((x) => x.name);
    expect(names).toContain("trigger-sampling-request");
    const result = await c.callTool({
      name: "trigger-sampling-request",
      arguments: { prompt: "hi", maxTokens: 10 },
    });
    expect(JSON.stringify(result.content)).toContain("sampled by the test client");
  });

  it("keeps serving other servers while one upstream is broken (fail open) and reports it", async () => {
    const status = await get(`${t.url}/mcp/servers`, { authorization: `Bearer ${key}` });
    const broken = status.body.servers.find((s: { name: string }) => s.name === "broken");
    expect(broken.state).not.toBe("ready");
    const res = await post(
      `${t.url}/mcp/execute`,
      { tool: "local__echo", arguments: { text: "still up" } },
      { authorization: `Bearer ${key}` },
    );
    expect(res.status).toBe(200);
    const health = await get(`${t.url}/health`);
    expect(health.status).toBe(200);
    expect(health.body.status).toBe("degraded");
  });

  it("answers a namespaced call to a tool of an upstream that failed at start with 503 naming the server and its last error, and 404 for an unknown server", async () => {
    const headers = { authorization: `Bearer ${key}` };
    const failed = await post(`${t.url}/mcp/execute`, { tool: "broken__anything", arguments: {} }, headers);
    expect(failed.status).toBe(503);
    expect(failed.body.error.code).toBe("upstream_unavailable");
    expect(failed.body.error.message).toMatch(/^Server 'broken' is failed; last error: .+/);
    expect(failed.body.error.message).not.toContain("Unknown tool");
    const unknown = await post(`${t.url}/mcp/execute`, { tool: "nosuch__anything", arguments: {} }, headers);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("unknown_tool");
    const unknownTool = await post(`${t.url}/mcp/execute`, { tool: "local__nosuch", arguments: {} }, headers);
    expect(unknownTool.status).toBe(404);
  });

  it("answers a call to a broken upstream's tool with an error result naming it, and audits the error", async () => {
    const c = await connectClient(`${t.url}/servers/broken/mcp`, key);
    clients.push(c);
    expect((await c.listTools()).tools).toEqual([]);
    const result = await c.callTool({ name: "anything", arguments: {} });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain("Upstream 'broken' is failed");
    const rows = await t.auditRows();
    expect(rows.some((r) => r.server === "broken" && r.outcome === "error")).toBe(true);
  });
});
