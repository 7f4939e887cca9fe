import { ClientRequestSchema } from "@modelcontextprotocol/core";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { definePlugin } from "@waygate/plugin-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { METHOD_RULES, TASK_METHODS } from "../src/policy/authorize.js";
import { connectClient, localPlugin, post, startGateway, type TestGateway } from "./helpers.js";

/** A second plugin with a prompt, a resource, a template and a resource that never answers. */
const otherPlugin = definePlugin({
  name: "other",
  version: "1.0.0",
  prompts: {
    secret: {
      prompt: { description: "A prompt a narrow key must not get" },
      get: () => ({ messages: [{ role: "user", content: { type: "text", text: "the secret prompt" } }] }),
    },
  },
  resources: [
    {
      resource: { uri: "other://secret", name: "secret" },
      read: () => ({ contents: [{ uri: "other://secret", text: "the secret resource" }] }),
    },
    {
      resource: { uri: "other://hang", name: "hang" },
      read: (ctx) =>
        new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(new Error("aborted")))),
    },
  ],
  resourceTemplates: [{ uriTemplate: "other://item/{id}", name: "item" }],
});

let t: TestGateway;
const clients: Client[] = [];
const connect = async (key: string, path = "/mcp") => {
  const c = await connectClient(`${t.url}${path}`, key);
  clients.push(c);
  return c;
};
const rowsOf = async (method: string) => (await t.auditRows()).filter((r) => r.method === method);

beforeAll(async () => {
  t = await startGateway({ plugins: [localPlugin(), otherPlugin], timeouts: { toolCallMs: 500 } });
});
afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await t?.close();
});

describe("one policy for every method", () => {
  it("has a decision for every request method in the MCP SDK's schemas (both eras) and the task methods, and for nothing else", () => {
    const methods = ClientRequestSchema.options.map((schema) => schema.shape.method.value);
    expect(methods).toContain("server/discover");
    expect(Object.keys(METHOD_RULES).sort()).toEqual([...methods, ...TASK_METHODS].sort());
  });

  it("filters prompts, resources and templates by the key's patterns, as it does tools", async () => {
    const narrow = await connect(await t.key(["tools:list", "tools:call"], { toolPatterns: ["local__*"] }));
    expect((await narrow.listPrompts()).prompts.map((p) => p.name)).toEqual(["local__greet"]);
    expect((await narrow.listResources()).resources.map((r) => r.uri)).toEqual(["local://motd"]);
    expect((await narrow.listResourceTemplates()).resourceTemplates).toEqual([]);

    const wide = await connect(await t.key());
    expect((await wide.listPrompts()).prompts.map((p) => p.name).sort()).toEqual([
      "local__greet",
      "other__secret",
    ]);
    expect((await wide.listResources()).resources.map((r) => r.uri).sort()).toEqual([
      "local://motd",
      "other://hang",
      "other://secret",
    ]);
    expect((await wide.listResourceTemplates()).resourceTemplates.map((r) => r.uriTemplate)).toEqual([
      "other://item/{id}",
    ]);
  });

  it("refuses prompts/get, resources/read, resources/subscribe and completion outside the patterns with -32003, audited as denied", async () => {
    const narrow = await connect(await t.key(["tools:list", "tools:call"], { toolPatterns: ["local__*"] }));
    const refusals = [
      [() => narrow.getPrompt({ name: "other__secret" }), "may not get prompt 'other__secret'"],
      [() => narrow.readResource({ uri: "other://secret" }), "may not read 'other__other://secret'"],
      [
        () => narrow.subscribeResource({ uri: "other://secret" }),
        "may not subscribe to 'other__other://secret'",
      ],
      [
        () =>
          narrow.complete({
            ref: { type: "ref/resource", uri: "other://item/{id}" },
            argument: { name: "id", value: "1" },
          }),
        "may not complete arguments of 'other__other://item/{id}'",
      ],
    ] as const;
    for (const [attempt, message] of refusals) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(McpError);
      expect(error).toMatchObject({ code: -32003, message: expect.stringContaining(message) });
    }
    // What the key may use still works.
    expect((await narrow.readResource({ uri: "local://motd" })).contents[0]).toMatchObject({
      text: "message of the day",
    });
    expect(
      (await narrow.getPrompt({ name: "local__greet", arguments: { who: "Ada" } })).messages,
    ).toHaveLength(1);

    const denied = (await t.auditRows()).filter((r) => r.outcome === "denied" && r.server === "other");
    expect(denied.map((r) => [r.method, r.tool]).sort()).toEqual([
      ["completion/complete", "other://item/{id}"],
      ["prompts/get", "secret"],
      ["resources/read", "other://secret"],
      ["resources/subscribe", "other://secret"],
    ]);
  });

  it("needs tools:call for prompts/get and resources/read, and tools:list for lists and logging/setLevel", async () => {
    const listOnly = await connect(await t.key(["tools:list"]));
    expect((await listOnly.listPrompts()).prompts.length).toBeGreaterThan(0);
    for (const attempt of [
      () => listOnly.getPrompt({ name: "local__greet", arguments: { who: "x" } }),
      () => listOnly.readResource({ uri: "local://motd" }),
    ]) {
      await expect(attempt()).rejects.toMatchObject({
        code: -32003,
        message: expect.stringContaining("lacks the 'tools:call' scope"),
      });
    }
    const callOnly = await connect(await t.key(["tools:call"]));
    for (const attempt of [
      () => callOnly.listPrompts(),
      () => callOnly.listResources(),
      () => callOnly.listResourceTemplates(),
      () => callOnly.setLoggingLevel("debug"),
    ]) {
      await expect(attempt()).rejects.toMatchObject({
        code: -32003,
        message: expect.stringContaining("lacks the 'tools:list' scope"),
      });
    }
  });

  it("audits every method with its name: lists, reads, prompts, completion and logging level", async () => {
    const c = await connect(await t.key());
    await c.listTools();
    await c.listPrompts();
    await c.listResources();
    await c.listResourceTemplates();
    await c.readResource({ uri: "local://motd" });
    await c.getPrompt({ name: "local__greet", arguments: { who: "Ada" } });
    await c.complete({
      ref: { type: "ref/prompt", name: "local__greet" },
      argument: { name: "who", value: "A" },
    });
    await c.setLoggingLevel("warning");
    const expected = [
      ["tools/list", null, null],
      ["prompts/list", null, null],
      ["resources/list", null, null],
      ["resources/templates/list", null, null],
      ["resources/read", "local", "local://motd"],
      ["prompts/get", "local", "greet"],
      ["completion/complete", "local", "greet"],
      ["logging/setLevel", null, null],
    ];
    for (const [method, server, tool] of expected) {
      const rows = await rowsOf(method as string);
      expect(
        rows.some((r) => r.outcome === "ok" && r.server === server && r.tool === tool),
        `${method}`,
      ).toBe(true);
    }
    const metrics = await (
      await fetch(`${t.url}/metrics`, {
        headers: { authorization: `Bearer ${await t.key(["metrics:read"])}` },
      })
    ).text();
    expect(metrics).toMatch(
      /waygate_mcp_requests_total\{method="resources\/read",server="local",outcome="ok"\} \d+/,
    );
    expect(metrics).toMatch(
      /waygate_mcp_requests_total\{method="prompts\/list",server="unknown",outcome="ok"\} \d+/,
    );
  });

  it("gives resources/read the request deadline (timeouts.toolCallMs) and audits it as a timeout", async () => {
    const c = await connect(await t.key());
    const started = Date.now();
    const error = await c.readResource({ uri: "other://hang" }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error).toMatchObject({
      message: expect.stringContaining("resources/read 'other://hang' did not answer within 500 ms"),
    });
    expect(
      (await rowsOf("resources/read")).some((r) => r.tool === "other://hang" && r.outcome === "timeout"),
    ).toBe(true);
  });

  it("applies the patterns on a single server's endpoint too", async () => {
    const narrow = await connect(
      await t.key(["tools:list", "tools:call"], { toolPatterns: ["local__*"] }),
      "/servers/other/mcp",
    );
    expect((await narrow.listPrompts()).prompts).toEqual([]);
    await expect(narrow.readResource({ uri: "other://secret" })).rejects.toMatchObject({ code: -32003 });
  });
});

describe("rate limit per JSON-RPC request", () => {
  const accept = "application/json, text/event-stream";
  const initialize = {
    jsonrpc: "2.0",
    id: 0,
    method: "initialize",
    params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "batch", version: "1" } },
  };
  const echo = (id: number) => ({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "local__echo", arguments: { text: `n${id}` } },
  });

  async function openSession(key: string) {
    const opened = await post(`${t.url}/mcp`, initialize, { authorization: `Bearer ${key}`, accept });
    expect(opened.status).toBe(200);
    const session = opened.headers.get("mcp-session-id")!;
    return { authorization: `Bearer ${key}`, accept, "mcp-session-id": session };
  }

  it("charges a batch once per request in it, and refuses a batch larger than what is left, auditing each request", async () => {
    const key = await t.key(["tools:call"], { rateLimitPerMinute: 10 });
    const headers = await openSession(key);
    // A notification costs nothing; three requests cost three: 1 (initialize) + 3 leaves 6.
    const small = await post(
      `${t.url}/mcp`,
      [echo(1), echo(2), echo(3), { jsonrpc: "2.0", method: "notifications/initialized" }],
      headers,
    );
    expect(small.status).toBe(200);
    expect(small.headers.get("ratelimit")).toContain("r=6");

    const big = await post(
      `${t.url}/mcp`,
      Array.from({ length: 100 }, (_, i) => echo(10 + i)),
      headers,
    );
    expect(big.status).toBe(429);
    expect(big.body).toMatchObject({ error: { code: -32012, data: { code: "rate_limited" } } });
    const refused = (await t.auditRows()).filter(
      (r) => r.request_id === big.headers.get("x-request-id") && r.outcome === "rate_limited",
    );
    expect(refused).toHaveLength(100);
    // Refused before it was resolved, each row still names the server and tool as a served call does.
    expect(refused.every((r) => r.method === "tools/call" && r.server === "local" && r.tool === "echo")).toBe(
      true,
    );
  });

  it("charges and audits methods other than tools/call when over the limit", async () => {
    const key = await t.key(["tools:list", "tools:call"], { rateLimitPerMinute: 1 });
    const headers = await openSession(key);
    const limited = await post(
      `${t.url}/mcp`,
      { jsonrpc: "2.0", id: 5, method: "resources/read", params: { uri: "other://secret" } },
      headers,
    );
    expect(limited.status).toBe(429);
    const row = (await t.auditRows()).find((r) => r.request_id === limited.headers.get("x-request-id"));
    expect(row).toMatchObject({ method: "resources/read", tool: "other://secret", outcome: "rate_limited" });
  });
});
