// Tool calls over a 2025 session, as raw HTTP: the SDK transport streams each POST's answer (progress, logs and
// client requests before the result), cancellation aborts the tool, and bad input gets JSON-RPC errors naming the fix.
// (Before: the `auto` response mode: a tools/call with nothing to stream is answered with one JSON body by the gateway's own
// path; everything that could stream (progress, client requests) still goes through the SDK transport as SSE.
import { once } from "node:events";
import { connect } from "node:net";
import type { LoggingMessageNotification } from "@modelcontextprotocol/sdk/types.js";
import { definePlugin, tool } from "@waygate/plugin-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient, localPlugin, readMcpBody, startGateway, type TestGateway } from "./helpers.js";

let t: TestGateway;
let key: string;
let slowStarted: () => void = () => {};

let lingerStarted: () => void = () => {};
let lingerLogged: () => void = () => {};

/** Tools whose logging the tests look at: one that logs only once it has been cancelled, one that logs at debug. */
const loggers = definePlugin({
  name: "loggers",
  version: "1.0.0",
  tools: {
    linger: tool({
      description: "Waits to be cancelled, then logs",
      input: {},
      handler: async (_args, ctx) => {
        lingerStarted();
        await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
        await ctx.log?.("error", "after the cancel");
        lingerLogged();
        return "cancelled";
      },
    }),
    quiet: tool({
      description: "Logs at debug only",
      input: {},
      handler: async (_args, ctx) => {
        await ctx.log?.("debug", "below the default level");
        return "quiet";
      },
    }),
  },
});

beforeAll(async () => {
  t = await startGateway({ plugins: [localPlugin({ onSlowStart: () => slowStarted() }), loggers] });
  key = await t.key();
});
afterAll(async () => {
  await t?.close();
});

const ACCEPT = "application/json, text/event-stream";

/** Opens a session with a raw initialize (and the initialized notification); returns the headers to reuse. */
async function session(
  capabilities: object = {},
  withKey = key,
  base = t.url,
  version = "2025-06-18",
): Promise<Record<string, string>> {
  const headers = { authorization: `Bearer ${withKey}`, accept: ACCEPT };
  const init = await post(
    `${base}/mcp`,
    {
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: version, capabilities, clientInfo: { name: "raw", version: "1" } },
    },
    headers,
  );
  expect(init.status).toBe(200);
  const sessionHeaders = {
    ...headers,
    "mcp-session-id": String(init.headers.get("mcp-session-id")),
    "mcp-protocol-version": version,
  };
  const initialized = await post(
    `${base}/mcp`,
    { jsonrpc: "2.0", method: "notifications/initialized" },
    sessionHeaders,
  );
  expect(initialized.status).toBe(202);
  return sessionHeaders;
}

const call = (id: number | string, name: string, args: unknown, extra: object = {}) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: args, ...extra },
});

/** Audit rows of `local__slow` calls that ended in an error (the tool rejects once aborted). */
const slowFailures = async () =>
  (await t.auditRows()).filter((r) => r.tool === "slow" && r.outcome === "error");

/** The JSON-RPC messages of an SSE body, in order. */
const sseMessages = (text: string) =>
  text
    .split("\n")
    .filter((line) => line.startsWith("data: ") && line.length > 6)
    .map((line) => JSON.parse(line.slice(6)));

/** POSTs a message; `body` is the JSON-RPC answer (from a JSON body or the event stream), `text` the raw body. */
async function post(url: string, body: unknown, headers: Record<string, string>) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.clone().text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    body: await readMcpBody(response),
  };
}

/**
 * POSTs a message whose answer streams, and hands back what the stream has carried so far once `until` resolves; the
 * request is then dropped, as a client drops the stream of a request it cancelled.
 */
async function streamUntil(body: unknown, headers: Record<string, string>, until: Promise<unknown>) {
  const controller = new AbortController();
  const response = await fetch(`${t.url}/mcp`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: controller.signal,
  });
  const reader = response.body!.getReader();
  let text = "";
  const decoder = new TextDecoder();
  const reading = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      text += decoder.decode(value);
    }
  })().catch(() => {});
  await until;
  controller.abort();
  await reading;
  return { status: response.status, contentType: response.headers.get("content-type"), text };
}

describe("mcpResponseMode auto (default)", () => {
  it("answers a plain tools/call and audits it like any call", async () => {
    const headers = await session();
    const res = await post(`${t.url}/mcp`, call(7, "local__echo", { text: "direct" }), headers);
    expect(res.status).toBe(200);

    expect(res.headers.get("mcp-session-id")).toBe(headers["mcp-session-id"]);
    expect(res.body).toEqual({
      jsonrpc: "2.0",
      id: 7,
      result: { content: [{ type: "text", text: "direct" }] },
    });
    const rows = await t.auditRows();
    expect(
      rows.some((r) => r.tool === "echo" && r.outcome === "ok" && r.arguments === '{"text":"direct"}'),
    ).toBe(true);
  });

  it("sends a streamed answer's headers together with its first event, not on their own before the call runs", async () => {
    const headers = await session();
    const { hostname, port } = new URL(t.url);
    const body = JSON.stringify(call(8, "local__slow", { ms: 150 }));
    const socket = connect({ host: hostname, port: Number(port) });
    await once(socket, "connect");
    const firstChunk = new Promise<string>((resolve) =>
      socket.once("data", (chunk) => resolve(String(chunk))),
    );
    socket.write(
      [
        "POST /mcp HTTP/1.1",
        `Host: ${hostname}:${port}`,
        "Content-Type: application/json",
        `Content-Length: ${Buffer.byteLength(body)}`,
        ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
        "Connection: close",
        "",
        body,
      ].join("\r\n"),
    );
    const first = await firstChunk;
    socket.destroy();
    // Headers flushed on their own would arrive at once, 150 ms before anything of the body.
    expect(first).toMatch(/^HTTP\/1\.1 200/);
    const [, afterHeaders = ""] = first.split("\r\n\r\n");
    expect(afterHeaders).toContain('"id":8');
    expect(afterHeaders).toContain("waited 150");
  });

  it("streams a call that carries a progress token, with its progress before the result", async () => {
    const headers = await session();
    const res = await post(
      `${t.url}/mcp`,
      call("p1", "local__slow", { ms: 5 }, { _meta: { progressToken: "tok" } }),
      headers,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const messages = sseMessages(res.text);
    expect(
      messages.filter((m) => m.method === "notifications/progress").map((m) => m.params.progress),
    ).toEqual([0, 2]);
    expect(messages.at(-1)).toMatchObject({ id: "p1", result: { content: [{ text: "waited 5" }] } });
  });

  it("streams every call of a client that declared sampling, elicitation or roots", async () => {
    for (const capabilities of [{ sampling: {} }, { elicitation: {} }, { roots: {} }]) {
      const headers = await session(capabilities);
      const res = await post(`${t.url}/mcp`, call(1, "local__echo", { text: "s" }), headers);
      expect(res.headers.get("content-type"), JSON.stringify(capabilities)).toContain("text/event-stream");
      expect(sseMessages(res.text).at(-1)).toMatchObject({
        id: 1,
        result: { content: [{ text: "s" }] },
      });
    }
  });

  it("answers an unknown tool with a JSON-RPC -32602 error body naming it, and audits it", async () => {
    const headers = await session();
    const res = await post(`${t.url}/mcp`, call(2, "local__nope", {}), headers);
    expect(res.status).toBe(200);

    expect(res.body).toMatchObject({
      jsonrpc: "2.0",
      id: 2,
      error: {
        code: -32602,
        message: expect.stringContaining("local__nope"),
        data: { requestId: expect.any(String) },
      },
    });
    expect((await t.auditRows()).some((r) => r.tool === "local__nope" && r.outcome === "error")).toBe(true);
  });

  it("refuses a key without tools:call with a JSON-RPC error and audits the denial", async () => {
    const listOnly = await t.key(["tools:list"]);
    const headers = await session({}, listOnly);
    const res = await post(`${t.url}/mcp`, call(3, "local__echo", { text: "no" }), headers);
    expect(res.body).toMatchObject({
      id: 3,
      error: { code: -32003, message: expect.stringContaining("'tools:call'"), data: { code: "forbidden" } },
    });
    // Recorded as a served call is: server and tool apart, so a filter by either finds the refusal.
    expect(
      (await t.auditRows()).some((r) => r.server === "local" && r.tool === "echo" && r.outcome === "denied"),
    ).toBe(true);
  });

  it("answers bad tools/call params with -32602 naming the field to fix", async () => {
    const headers = await session();
    const cases: [unknown, string][] = [
      [{ name: "local__echo", arguments: ["not", "an", "object"] }, '"arguments"'],
      [{ name: 42 }, '"name"'],
    ];
    for (const [params, expected] of cases) {
      const res = await post(
        `${t.url}/mcp`,
        { jsonrpc: "2.0", id: 4, method: "tools/call", params },
        headers,
      );

      expect(res.body).toMatchObject({
        id: 4,
        error: { code: -32602, message: expect.stringMatching(/^Invalid tools\/call request/) },
      });
      expect(res.body.error.message).toContain(expected);
    }
    // Params that are not an object make the message itself invalid JSON-RPC: the SDK refuses it before routing.
    for (const params of ["oops", { name: "local__echo", _meta: "x" }]) {
      const envelope = await post(
        `${t.url}/mcp`,
        { jsonrpc: "2.0", id: 4, method: "tools/call", params },
        headers,
      );
      expect(envelope.status).toBe(400);
      expect(envelope.body).toMatchObject({
        id: null,
        error: { code: -32700, message: expect.stringContaining("Invalid JSON-RPC message") },
      });
    }
  });

  it("refuses a call on an unknown session with 404, as before", async () => {
    const headers = await session();
    const res = await post(`${t.url}/mcp`, call(5, "local__echo", { text: "x" }), {
      ...headers,
      "mcp-session-id": "no-such-session",
    });
    expect(res.status).toBe(404);
    expect(res.body.error.message).toContain("MCP session 'no-such-session' not found");
  });

  it("cancels a call on notifications/cancelled: the tool is aborted, audited as failed, and sends no result", async () => {
    const headers = await session();
    const before = (await slowFailures()).length;
    const started = new Promise<void>((resolve) => {
      slowStarted = resolve;
    });
    const aborted = started.then(async () => {
      const cancel = await post(
        `${t.url}/mcp`,
        { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 99, reason: "user stop" } },
        headers,
      );
      expect(cancel.status).toBe(202);
      await expect.poll(async () => (await slowFailures()).length).toBe(before + 1);
    });
    const res = await streamUntil(call(99, "local__slow", { ms: 30_000 }), headers, aborted);
    expect(res.status).toBe(200);
    expect(res.contentType).toContain("text/event-stream");
    expect(sseMessages(res.text)).toEqual([]);
  });

  it("keeps a call running when its client's stream breaks, and replays the answer to a reconnect with Last-Event-ID", async () => {
    const headers = await session({}, key, t.url, "2025-11-25");
    const okBefore = (await t.auditRows()).filter((r) => r.tool === "slow" && r.outcome === "ok").length;
    // The stream opens with a priming event whose id the client resumes from.
    const controller = new AbortController();
    const response = await fetch(`${t.url}/mcp`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify(call(98, "local__slow", { ms: 200 })),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const primingId = /^id: (.+)$/m.exec(first)?.[1];
    expect(primingId).toBeTruthy();
    // It also tells the client how long to wait before it reconnects.
    expect(first).toMatch(/^retry: 1000$/m);
    controller.abort();
    await expect
      .poll(async () => (await t.auditRows()).filter((r) => r.tool === "slow" && r.outcome === "ok").length)
      .toBe(okBefore + 1);

    const resumed = new AbortController();
    const replay = await fetch(`${t.url}/mcp`, {
      headers: { ...headers, accept: "text/event-stream", "last-event-id": String(primingId) },
      signal: resumed.signal,
    });
    expect(replay.status).toBe(200);
    const replayReader = replay.body!.getReader();
    let text = "";
    while (!sseMessages(text).some((m) => m.id === 98)) {
      text += new TextDecoder().decode((await replayReader.read()).value);
    }
    resumed.abort();
    expect(sseMessages(text).find((m) => m.id === 98)).toEqual({
      jsonrpc: "2.0",
      id: 98,
      result: { content: [{ type: "text", text: "waited 200" }] },
    });
  });

  it("refuses a reconnect with an event id it does not know", async () => {
    const headers = await session({}, key, t.url, "2025-11-25");
    const res = await fetch(`${t.url}/mcp`, {
      headers: { ...headers, accept: "text/event-stream", "last-event-id": "forged~1" },
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    await res.body?.cancel();
  });

  it("turns the answer into an event stream when the call logs, carrying the log and then the result", async () => {
    const headers = await session();
    const res = await post(`${t.url}/mcp`, call(11, "local__chatty", {}), headers);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    // The default minimum level is info: the debug line is not sent.
    expect(sseMessages(res.text)).toEqual([
      { jsonrpc: "2.0", method: "notifications/message", params: { level: "error", data: "error line" } },
      { jsonrpc: "2.0", id: 11, result: { content: [{ type: "text", text: "logged" }] } },
    ]);
  });

  it("sends no log message below the client's level", async () => {
    const headers = await session();
    const res = await post(`${t.url}/mcp`, call(12, "loggers__quiet", {}), headers);

    expect(res.body).toMatchObject({ id: 12, result: { content: [{ text: "quiet" }] } });
  });

  it("sends nothing for a call once it is cancelled, not even its late log messages", async () => {
    const headers = await session();
    const started = new Promise<void>((resolve) => {
      lingerStarted = resolve;
    });
    const logged = new Promise<void>((resolve) => {
      lingerLogged = resolve;
    });
    const cancelled = started.then(() =>
      post(
        `${t.url}/mcp`,
        { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 13 } },
        headers,
      ),
    );
    // The stream is read until the tool has logged after the cancel, and a turn longer.
    const res = await streamUntil(
      call(13, "loggers__linger", {}),
      headers,
      Promise.all([cancelled, logged]).then(() => new Promise((resolve) => setImmediate(resolve))),
    );
    expect(res.contentType).toContain("text/event-stream");
    expect(sseMessages(res.text)).toEqual([]);
  });

  it("refuses a tool's sampling request at once when the client did not declare sampling", async () => {
    const headers = await session();
    const res = await post(`${t.url}/mcp`, call(14, "local__ask", { question: "2+2?" }), headers);

    expect(res.body.result.isError).toBe(true);
    expect(res.body.result.content[0].text).toContain("did not declare the sampling capability");
  });

  it("aborts a call when its session is deleted, and the session is gone afterwards", async () => {
    const headers = await session();
    const before = (await slowFailures()).length;
    const started = new Promise<void>((resolve) => {
      slowStarted = resolve;
    });
    const pending = post(`${t.url}/mcp`, call(15, "local__slow", { ms: 30_000 }), headers);
    await started;
    const deleted = await fetch(`${t.url}/mcp`, { method: "DELETE", headers });
    expect(deleted.status).toBe(200);
    const res = await pending;
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    expect(res.body).toBe("");
    await expect.poll(async () => (await slowFailures()).length).toBe(before + 1);
    const after = await post(`${t.url}/mcp`, call(16, "local__echo", { text: "x" }), headers);
    expect(after.status).toBe(404);
  });

  it("sends a call's log messages to the SDK client at the level it set", async () => {
    const c = await connectClient(`${t.url}/mcp`, key);
    try {
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
    } finally {
      await c.close();
    }
  });
});

describe("tasks (not served: the MCP SDK v2 has no tasks support yet)", () => {
  it("advertises no tasks capability, answers every tasks method with -32601, and runs a task-augmented call at once", async () => {
    const init = await post(
      `${t.url}/mcp`,
      {
        jsonrpc: "2.0",
        id: 0,
        method: "initialize",
        params: {
          protocolVersion: "2025-11-25",
          capabilities: { tasks: {} },
          clientInfo: { name: "raw", version: "1" },
        },
      },
      { authorization: `Bearer ${key}`, accept: ACCEPT },
    );
    expect(init.body.result.capabilities).not.toHaveProperty("tasks");
    const headers = await session({ tasks: {} }, key, t.url, "2025-11-25");
    for (const method of ["tasks/get", "tasks/result", "tasks/list", "tasks/cancel"]) {
      const res = await post(
        `${t.url}/mcp`,
        { jsonrpc: "2.0", id: 5, method, params: { taskId: "t-1" } },
        headers,
      );
      expect(res.body).toMatchObject({ id: 5, error: { code: -32601 } });
    }
    // A client that asks for a task anyway gets the result itself, as a server without tasks answers.
    const augmented = await post(
      `${t.url}/mcp`,
      call(6, "local__echo", { text: "at once" }, { task: { ttl: 60_000 } }),
      headers,
    );
    expect(augmented.body).toEqual({
      jsonrpc: "2.0",
      id: 6,
      result: { content: [{ type: "text", text: "at once" }] },
    });
    // 2026-07-28: the tasks extension is not offered either.
    const modern = await post(
      `${t.url}/mcp`,
      {
        jsonrpc: "2.0",
        id: 7,
        method: "tasks/get",
        params: {
          taskId: "t-1",
          _meta: {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientInfo": { name: "raw", version: "1" },
            "io.modelcontextprotocol/clientCapabilities": {},
          },
        },
      },
      {
        authorization: `Bearer ${key}`,
        accept: ACCEPT,
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "tasks/get",
        "mcp-name": "t-1",
      },
    );
    expect(modern.body).toMatchObject({ id: 7, error: { code: -32601 } });
  });
});

describe("keep-alive", () => {
  it("streams a quiet call's answer with keep-alive comments, then the result", async () => {
    const g = await startGateway({ timeouts: { sseKeepAliveMs: 40 } });
    try {
      const headers = await session({}, await g.key(), g.url);
      const res = await post(`${g.url}/mcp`, call(1, "local__slow", { ms: 300 }), headers);
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      expect(res.headers.get("cache-control")).toBe("no-cache, no-transform");
      expect(res.text).toContain(": keepalive\n\n");
      expect(sseMessages(res.text)).toEqual([
        { jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "waited 300" }] } },
      ]);
    } finally {
      await g.close();
    }
  });
});

describe("mcpResponseMode sse and stateless", () => {
  it("streams every tools/call when mcpResponseMode is sse", async () => {
    const g = await startGateway({ mcpResponseMode: "sse" });
    try {
      const headers = await session({}, await g.key(), g.url);
      const res = await post(`${g.url}/mcp`, call(1, "local__echo", { text: "sse" }), headers);
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      expect(sseMessages(res.text)).toEqual([
        { jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "sse" }] } },
      ]);
    } finally {
      await g.close();
    }
  });

  it("answers a plain tools/call in stateless mode, with no session header", async () => {
    const g = await startGateway({ mcpSessionMode: "stateless" });
    try {
      const res = await post(`${g.url}/mcp`, call(1, "local__echo", { text: "stateless" }), {
        authorization: `Bearer ${await g.key()}`,
        accept: ACCEPT,
      });

      expect(res.headers.get("mcp-session-id")).toBeNull();
      expect(res.body).toEqual({
        jsonrpc: "2.0",
        id: 1,
        result: { content: [{ type: "text", text: "stateless" }] },
      });
      const logged = await post(`${g.url}/mcp`, call(2, "local__chatty", {}), {
        authorization: `Bearer ${await g.key()}`,
        accept: ACCEPT,
      });
      expect(sseMessages(logged.text).map((m) => m.method ?? m.id)).toEqual(["notifications/message", 2]);
    } finally {
      await g.close();
    }
  });
});
