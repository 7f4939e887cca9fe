import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  type LoggingMessageNotification,
  ResourceUpdatedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { definePlugin, tool } from "@waygate/plugin-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient, localPlugin, post, startGateway, type TestGateway } from "./helpers.js";

let t: TestGateway;
let key: string;
const clients: Client[] = [];

beforeAll(async () => {
  t = await startGateway();
  key = await t.key();
});
afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await t?.close();
});

async function client(path = "/mcp", withKey: string | undefined = key, capabilities?: object) {
  const c = await connectClient(
    `${t.url}${path}`,
    withKey,
    capabilities ? { capabilities: { capabilities } } : {},
  );
  clients.push(c);
  return c;
}

describe("/mcp (aggregated Streamable HTTP)", () => {
  it("lists every plugin tool as <server>__<name>", async () => {
    const c = await client();
    const { tools } = await c.listTools();
    expect(tools.map((x) => x.name).sort()).toEqual([
      "local__ask",
      "local__chatty",
      "local__confirm",
      "local__echo",
      "local__fail",
      "local__slow",
    ]);
  });

  it("calls a tool and audits it with transport mcp", async () => {
    const c = await client();
    const result = await c.callTool({ name: "local__echo", arguments: { text: "over mcp" } });
    expect(result.content).toEqual([{ type: "text", text: "over mcp" }]);
    const rows = await t.auditRows();
    expect(rows.some((r) => r.transport === "mcp" && r.tool === "echo" && r.outcome === "ok")).toBe(true);
  });

  it("filters tools/list by the key's patterns and refuses a call outside them with JSON-RPC -32003", async () => {
    const narrow = await t.key(["tools:list", "tools:call"], { toolPatterns: ["local__echo"] });
    const c = await client("/mcp", narrow);
    expect((await c.listTools()).tools.map((x) => x.name)).toEqual(["local__echo"]);
    await expect(c.callTool({ name: "local__fail", arguments: {} })).rejects.toMatchObject({
      code: -32003,
      message: expect.stringContaining("may not call 'local__fail'"),
    });
    const rows = await t.auditRows();
    expect(rows.some((r) => r.tool === "fail" && r.outcome === "denied" && r.transport === "mcp")).toBe(true);
  });

  it("answers an unknown tool with JSON-RPC -32602", async () => {
    const c = await client();
    await expect(c.callTool({ name: "local__missing", arguments: {} })).rejects.toMatchObject({
      code: -32602,
    });
  });

  it("passes progress notifications through to the client", async () => {
    const c = await client();
    const progress: number[] = [];
    const result = await c.callTool({ name: "local__slow", arguments: { ms: 10 } }, undefined, {
      onprogress: (p) => progress.push(p.progress),
    });
    expect(result.content).toEqual([{ type: "text", text: "waited 10" }]);
    expect(progress).toEqual([0, 2]);
  });

  it("tells the plugin whether the client asked for progress (a progress token), so upstreams are not asked for it needlessly", async () => {
    const seen: (boolean | undefined)[] = [];
    const probe = definePlugin({
      name: "probe",
      version: "1.0.0",
      tools: {
        wants: tool({
          description: "Records whether the caller wants progress",
          input: {},
          handler: (_args, ctx) => {
            seen.push(ctx.wantsProgress);
            return "ok";
          },
        }),
      },
    });
    const g = await startGateway({ plugins: [probe] });
    try {
      const c = await connectClient(`${g.url}/mcp`, await g.key());
      await c.callTool({ name: "probe__wants", arguments: {} });
      await c.callTool({ name: "probe__wants", arguments: {} }, undefined, { onprogress: () => {} });
      await c.close();
      const rest = await post(
        `${g.url}/mcp/execute`,
        { tool: "probe__wants", arguments: {} },
        { authorization: `Bearer ${await g.key()}` },
      );
      expect(rest.status).toBe(200);
      expect(seen).toEqual([false, true, false]);
    } finally {
      await g.close();
    }
  });

  it("cancels an in-flight call when the client aborts", async () => {
    const c = await client();
    const controller = new AbortController();
    const call = c.callTool({ name: "local__slow", arguments: { ms: 10_000 } }, undefined, {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort("user cancelled"), 100);
    await expect(call).rejects.toThrow();
    await expect
      .poll(async () => (await t.auditRows()).some((r) => r.tool === "slow" && r.outcome === "error"))
      .toBe(true);
  });

  it("forwards a plugin's sampling request to the connected client", async () => {
    const c = await client("/mcp", key, { sampling: {} });
    c.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      const first = request.params.messages[0]?.content;
      return {
        role: "assistant",
        model: "test-model",
        content: { type: "text", text: `echo of ${first && "text" in first ? first.text : "?"}` },
      };
    });
    const result = await c.callTool({ name: "local__ask", arguments: { question: "2+2?" } });
    expect(result.content).toEqual([{ type: "text", text: "model said: echo of 2+2?" }]);
  });

  it("forwards a plugin's elicitation request to the connected client", async () => {
    const c = await client("/mcp", key, { elicitation: { form: {} } });
    c.setRequestHandler(ElicitRequestSchema, async () => ({ action: "accept", content: { ok: true } }));
    const result = await c.callTool({ name: "local__confirm", arguments: {} });
    expect(result.content).toEqual([{ type: "text", text: 'user accept: {"ok":true}' }]);
  });

  it("lists and gets namespaced prompts and reads resources by URI", async () => {
    const c = await client();
    expect((await c.listPrompts()).prompts.map((p) => p.name)).toEqual(["local__greet"]);
    const prompt = await c.getPrompt({ name: "local__greet", arguments: { who: "Ada" } });
    expect(prompt.messages[0]?.content).toEqual({ type: "text", text: "Hello Ada" });
    expect((await c.listResources()).resources.map((r) => r.uri)).toEqual(["local://motd"]);
    const read = await c.readResource({ uri: "local://motd" });
    expect(read.contents[0]).toMatchObject({ text: "message of the day" });
  });

  it("refuses to reuse another key's session id", async () => {
    const c = await client();
    const sessionId = (c.transport as { sessionId?: string }).sessionId!;
    const other = await t.key();
    const res = await post(
      `${t.url}/mcp`,
      { jsonrpc: "2.0", id: 1, method: "tools/list" },
      {
        authorization: `Bearer ${other}`,
        "mcp-session-id": sessionId,
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2025-06-18",
      },
    );
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: -32602, message: expect.stringContaining("not found") });
  });

  it("ends a session on DELETE, after which its id is not found", async () => {
    const c = await client();
    const transport = c.transport as unknown as { sessionId?: string; terminateSession(): Promise<void> };
    const sessionId = transport.sessionId!;
    await transport.terminateSession();
    const res = await post(
      `${t.url}/mcp`,
      { jsonrpc: "2.0", id: 1, method: "tools/list" },
      {
        authorization: `Bearer ${key}`,
        "mcp-session-id": sessionId,
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2025-06-18",
      },
    );
    expect(res.status).toBe(404);
  });

  it("answers a request without a session id with a JSON-RPC 400", async () => {
    const res = await post(
      `${t.url}/mcp`,
      { jsonrpc: "2.0", id: 1, method: "tools/list" },
      { authorization: `Bearer ${key}`, accept: "application/json, text/event-stream" },
    );
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      jsonrpc: "2.0",
      id: null,
      error: { message: expect.stringContaining("initialize") },
    });
  });
});

describe("MCP endpoint refusals", () => {
  const initialize = {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } },
  };
  const accept = { accept: "application/json, text/event-stream" };

  it("answers a malformed initialize with a JSON-RPC error and opens no session", async () => {
    const res = await post(
      `${t.url}/mcp`,
      { jsonrpc: "2.0", id: 1, method: "initialize", params: { capabilities: {} } },
      { ...accept, authorization: `Bearer ${key}` },
    );
    expect(res.status).toBe(400);
    expect(res.headers.get("mcp-session-id")).toBeNull();
    expect(res.body.error).toMatchObject({
      code: -32602,
      message: expect.stringContaining("Invalid initialize request"),
    });
  });

  it("answers a missing key on /mcp with 401 and a JSON-RPC error body", async () => {
    const res = await post(`${t.url}/mcp`, initialize, accept);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32001 } });
  });

  it("answers malformed JSON on /mcp with JSON-RPC -32700", async () => {
    const res = await post(`${t.url}/mcp`, "{not json", { ...accept, authorization: `Bearer ${key}` });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: -32700, message: "Request body is not valid JSON" });
  });

  it("refuses a foreign Origin with 403", async () => {
    const res = await post(`${t.url}/mcp`, initialize, {
      ...accept,
      authorization: `Bearer ${key}`,
      origin: "https://evil.example",
    });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain("Origin 'https://evil.example' is not allowed");
  });

  it("refuses a foreign Host header with 403 (DNS rebinding)", async () => {
    const { request } = await import("node:http");
    const url = new URL(`${t.url}/mcp`);
    const status = await new Promise<{ code: number; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: "/mcp",
          method: "POST",
          headers: {
            host: "attacker.example:80",
            "content-type": "application/json",
            authorization: `Bearer ${key}`,
            ...accept,
          },
        },
        (res) => {
          let body = "";
          res.on("data", (chunk) => (body += chunk));
          res.on("end", () => resolve({ code: res.statusCode ?? 0, body }));
        },
      );
      req.on("error", reject);
      req.end(JSON.stringify(initialize));
    });
    expect(status.code).toBe(403);
    expect(JSON.parse(status.body).error.message).toContain(
      "Host header 'attacker.example:80' is not allowed",
    );
  });

  it("answers an unknown server on /servers/:name/mcp with 404", async () => {
    const res = await post(`${t.url}/servers/nope/mcp`, initialize, {
      ...accept,
      authorization: `Bearer ${key}`,
    });
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ data: { code: "unknown_server" } });
    expect(res.body.error.message).toContain("Unknown server 'nope'");
  });
});

describe("/servers/:name/mcp (one server, original names)", () => {
  it("exposes the server's tools without the namespace and calls them", async () => {
    const c = await client("/servers/local/mcp");
    expect((await c.listTools()).tools.map((x) => x.name).sort()).toEqual([
      "ask",
      "chatty",
      "confirm",
      "echo",
      "fail",
      "slow",
    ]);
    const result = await c.callTool({ name: "echo", arguments: { text: "single" } });
    expect(result.content).toEqual([{ type: "text", text: "single" }]);
    expect((await c.listPrompts()).prompts.map((p) => p.name)).toEqual(["greet"]);
  });

  it("applies tool patterns to the namespaced name on the single-server endpoint too", async () => {
    const narrow = await t.key(["tools:list", "tools:call"], { toolPatterns: ["local__echo"] });
    const c = await client("/servers/local/mcp", narrow);
    expect((await c.listTools()).tools.map((x) => x.name)).toEqual(["echo"]);
    await expect(c.callTool({ name: "fail", arguments: {} })).rejects.toMatchObject({ code: -32003 });
  });
});

describe("legacy SSE (/sse + /messages)", () => {
  it("serves older clients over HTTP+SSE with the same auth", async () => {
    const c = new Client({ name: "legacy", version: "1.0.0" });
    const transport = new SSEClientTransport(new URL(`${t.url}/sse`), {
      requestInit: { headers: { Authorization: `Bearer ${key}` } },
      eventSourceInit: {
        fetch: (url, init) =>
          fetch(url, { ...init, headers: { ...(init?.headers ?? {}), Authorization: `Bearer ${key}` } }),
      },
    });
    await c.connect(transport);
    clients.push(c);
    expect((await c.listTools()).tools.length).toBe(6);
    const result = await c.callTool({ name: "local__echo", arguments: { text: "legacy" } });
    expect(result.content).toEqual([{ type: "text", text: "legacy" }]);
  });
});

describe("logging", () => {
  it("sends a plugin's log lines to the caller at or above the level set with logging/setLevel", async () => {
    const c = await client();
    const messages: LoggingMessageNotification["params"][] = [];
    c.fallbackNotificationHandler = async (n) => {
      if (n.method === "notifications/message")
        messages.push(n.params as LoggingMessageNotification["params"]);
    };
    await c.setLoggingLevel("debug");
    await c.callTool({ name: "local__chatty", arguments: {} });
    expect(messages.map((m) => m.data)).toEqual(["debug line", "error line"]);
    messages.length = 0;
    await c.setLoggingLevel("error");
    await c.callTool({ name: "local__chatty", arguments: {} });
    expect(messages.map((m) => m.data)).toEqual(["error line"]);
  });
});

describe("session limit", () => {
  it("answers initialize with 503 once mcpMaxSessions sessions are open", async () => {
    const g = await startGateway({ mcpMaxSessions: 1 });
    const key = await g.key();
    const first = await connectClient(`${g.url}/mcp`, key);
    try {
      const res = await post(
        `${g.url}/mcp`,
        {
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: {
            protocolVersion: "2025-06-18",
            capabilities: {},
            clientInfo: { name: "x", version: "1" },
          },
        },
        { authorization: `Bearer ${key}`, accept: "application/json, text/event-stream" },
      );
      expect(res.status).toBe(503);
      expect(res.body.error).toMatchObject({ code: -32002, data: { code: "overloaded" } });
      expect(res.body.error.message).toContain("Too many open MCP sessions (1)");
    } finally {
      await first.close();
      await g.close();
    }
  });
});

describe("JSON response mode", () => {
  it("answers /mcp POSTs with application/json when mcpResponseMode is json", async () => {
    const g = await startGateway({ mcpResponseMode: "json" });
    try {
      const key = await g.key();
      const headers = { authorization: `Bearer ${key}`, accept: "application/json, text/event-stream" };
      const init = await post(
        `${g.url}/mcp`,
        {
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: {
            protocolVersion: "2025-06-18",
            capabilities: {},
            clientInfo: { name: "x", version: "1" },
          },
        },
        headers,
      );
      expect(init.headers.get("content-type")).toContain("application/json");
      expect(init.body.result.serverInfo.name).toBe("waygate");
      const c = await connectClient(`${g.url}/mcp`, key);
      const result = await c.callTool({ name: "local__echo", arguments: { text: "json" } });
      expect(result.content).toEqual([{ type: "text", text: "json" }]);
      await c.close();
    } finally {
      await g.close();
    }
  });
});

describe("resource subscriptions", () => {
  it("accepts resources/subscribe and forwards updates from a plugin that offers subscribeResource", async () => {
    const plugin = Object.assign(localPlugin(), {
      subscribeResource: async (_uri: string, onUpdated: () => void) => {
        const timer = setInterval(onUpdated, 20);
        return () => clearInterval(timer);
      },
    });
    const g = await startGateway({ plugins: [plugin] });
    const c = await connectClient(`${g.url}/mcp`, await g.key());
    try {
      const updated: string[] = [];
      c.setNotificationHandler(ResourceUpdatedNotificationSchema, async (n) => {
        updated.push(n.params.uri);
      });
      await c.subscribeResource({ uri: "local://motd" });
      await expect.poll(() => updated.length).toBeGreaterThan(0);
      expect(updated[0]).toBe("local://motd");
      await c.unsubscribeResource({ uri: "local://motd" });
      const count = updated.length;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(updated.length).toBeLessThanOrEqual(count + 1);
    } finally {
      await c.close();
      await g.close();
    }
  });

  it("answers a subscription to a URI no server offers with JSON-RPC -32602", async () => {
    const c = await client();
    await expect(c.subscribeResource({ uri: "nowhere://x" })).rejects.toMatchObject({ code: -32602 });
  });
});
