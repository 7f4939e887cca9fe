import { definePlugin, tool } from "@waygate/plugin-sdk";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { get, localPlugin, memoryLogger, post, startGateway } from "./helpers.js";

describe("production responses", () => {
  it("answers an internal failure with a generic message, no detail and no stack", async () => {
    const broken = Object.assign(localPlugin(), {
      callTool: async () => {
        throw new Error("connection string postgres://admin:hunter2@db");
      },
    });
    const t = await startGateway({ env: "production", plugins: [broken] });
    try {
      const res = await post(
        `${t.url}/mcp/execute`,
        { tool: "local__echo", arguments: { text: "x" } },
        { authorization: `Bearer ${await t.key()}` },
      );
      expect(res.status).toBe(500);
      expect(res.body.error).toEqual({
        code: "internal",
        message: "Internal server error",
        requestId: expect.any(String),
      });
      expect(JSON.stringify(res.body)).not.toContain("hunter2");
      const row = (await t.auditRows()).find((r) => r.request_id === res.headers.get("x-request-id"));
      expect(row).toMatchObject({ outcome: "error" });
    } finally {
      await t.close();
    }
  });
});

describe("secrets", () => {
  it("never writes API keys into logs, even for refused and malformed keys", async () => {
    const { logger, entries } = memoryLogger();
    const t = await startGateway({ logger });
    try {
      const key = await t.key();
      await post(
        `${t.url}/mcp/execute`,
        { tool: "local__echo", arguments: { text: "x" } },
        { authorization: `Bearer ${key}` },
      );
      await post(
        `${t.url}/mcp/execute`,
        { tool: "local__echo" },
        { authorization: "Bearer wg_not_a_real_key_123" },
      );
      await post(`${t.url}/mcp/execute`, { tool: "local__nope" }, { "x-api-key": key });
      const logged = JSON.stringify(entries);
      expect(entries.some((e) => e.message === "tool call")).toBe(true);
      expect(logged).not.toContain(key);
      expect(logged).not.toContain("wg_not_a_real_key_123");
    } finally {
      await t.close();
    }
  });

  it("writes the call's audit row with secret-named arguments and free-text credentials redacted, and no API key", async () => {
    const t = await startGateway();
    try {
      const key = await t.key();
      const res = await post(
        `${t.url}/mcp/execute`,
        {
          tool: "local__echo",
          arguments: {
            text: "x",
            apiToken: "tok-123",
            note: "authorization: bearer tok-456",
            notes: `use ghp_${"a1B2".repeat(9)} to push, then mysql --password hunter2`,
          },
        },
        { authorization: `Bearer ${key}` },
      );
      expect(res.status).toBe(200);
      const rows = await t.auditRows();
      const row = rows.find((r) => r.request_id === res.headers.get("x-request-id"));
      expect(row).toMatchObject({ outcome: "ok", server: "local", tool: "echo" });
      expect(JSON.parse(String(row!.arguments))).toEqual({
        text: "x",
        apiToken: "[REDACTED]",
        note: "authorization: [REDACTED]",
        notes: "use [REDACTED] to push, then mysql --password [REDACTED]",
      });
      const stored = JSON.stringify(rows);
      for (const secret of ["tok-123", "tok-456", "a1B2a1B2", "hunter2", key])
        expect(stored).not.toContain(secret);
    } finally {
      await t.close();
    }
  });
});

describe("access log", () => {
  it("logs each request at the http level with its request id, key id, route, status and duration", async () => {
    const { logger, entries } = memoryLogger();
    const t = await startGateway({ logger });
    try {
      const key = await t.key();
      const res = await get(`${t.url}/mcp/servers`, { authorization: `Bearer ${key}` });
      const [record] = await t.repos.apiKeys.list();
      const line = entries.find(
        (e) => (e as { requestId?: string }).requestId === res.headers.get("x-request-id"),
      );
      expect(line).toMatchObject({
        level: "http",
        message: "http request",
        method: "GET",
        route: "/mcp/servers",
        status: 200,
        keyId: record!.id,
      });
      expect((line as unknown as { durationMs: number }).durationMs).toBeGreaterThanOrEqual(0);
    } finally {
      await t.close();
    }
  });
});

describe("timeouts", () => {
  it("drops a client that sends headers too slowly with 408 and a JSON error naming the timeouts", async () => {
    const t = await startGateway({ timeouts: { headersMs: 300, requestMs: 600 } });
    try {
      const { connect } = await import("node:net");
      const url = new URL(t.url);
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(url.port), url.hostname, () =>
          socket.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"),
        );
        let data = "";
        socket.on("data", (chunk) => {
          data += chunk;
        });
        socket.on("close", () => resolve(data));
        socket.on("error", reject);
      });
      const [head = "", body = ""] = answer.split("\r\n\r\n");
      expect(head).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(head.toLowerCase()).toContain("content-type: application/json");
      expect(head.toLowerCase()).toContain("connection: close");
      expect(JSON.parse(body)).toEqual({
        error: {
          code: "request_timeout",
          message: expect.stringContaining("timeouts.headersMs"),
        },
      });
    } finally {
      await t.close();
    }
  });

  it("answers a request that is not HTTP with 400 and a JSON error, then closes the connection", async () => {
    const t = await startGateway();
    try {
      const { connect } = await import("node:net");
      const url = new URL(t.url);
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(url.port), url.hostname, () => socket.write("NOT HTTP AT ALL\r\n\r\n"));
        let data = "";
        socket.on("data", (chunk) => {
          data += chunk;
        });
        socket.on("close", () => resolve(data));
        socket.on("error", reject);
      });
      const [head = "", body = ""] = answer.split("\r\n\r\n");
      expect(head).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(JSON.parse(body)).toEqual({
        error: { code: "bad_request", message: "The request is not valid HTTP. The connection is closed." },
      });
    } finally {
      await t.close();
    }
  });

  it("answers a call that outlives toolCallMs with 504 and audits it as a timeout", async () => {
    const t = await startGateway({ timeouts: { toolCallMs: 100 } });
    try {
      const res = await post(
        `${t.url}/mcp/execute`,
        { tool: "local__slow", arguments: { ms: 5000 } },
        { authorization: `Bearer ${await t.key()}` },
      );
      expect(res.status).toBe(504);
      expect(res.body.error).toMatchObject({ code: "upstream_timeout" });
      expect(res.body.error.message).toContain("within 100 ms");
      const row = (await t.auditRows()).find((r) => r.request_id === res.headers.get("x-request-id"));
      expect(row).toMatchObject({ outcome: "timeout", tool: "slow" });
    } finally {
      await t.close();
    }
  });
});

describe("naming", () => {
  const longName = `summarise_${"x".repeat(50)}`;
  const longPlugin = () =>
    definePlugin({
      name: "a-rather-long-server-name",
      version: "1.0.0",
      tools: { [longName]: tool({ input: { n: z.number() }, handler: ({ n }) => `n=${n}` }) },
    });

  it("shortens names over 64 characters, shows the mapping in /mcp/tools and routes the short name", async () => {
    const t = await startGateway({ plugins: [longPlugin()] });
    try {
      const key = await t.key();
      const tools = await get(`${t.url}/mcp/tools`, { authorization: `Bearer ${key}` });
      const entry = tools.body.tools.find((x: { originalName: string }) => x.originalName === longName);
      expect(entry).toMatchObject({ server: "a-rather-long-server-name", shortened: true });
      expect(entry.name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
      const res = await post(
        `${t.url}/mcp/execute`,
        { tool: entry.name, arguments: { n: 7 } },
        { authorization: `Bearer ${key}` },
      );
      expect(res.body.result.content).toEqual([{ type: "text", text: "n=7" }]);
    } finally {
      await t.close();
    }
  });

  it("reports name collisions at load in the log, system events and /mcp/tools instead of dropping silently", async () => {
    // "a" + "__" + "_b" and "a_" + "__" + "b" both expose "a___b".
    const a = definePlugin({
      name: "a",
      version: "1.0.0",
      tools: { _b: tool({ input: {}, handler: () => "from a" }) },
    });
    const b = definePlugin({
      name: "a_",
      version: "1.0.0",
      tools: { b: tool({ input: {}, handler: () => "from a_" }) },
    });
    const { logger, entries } = memoryLogger();
    const t = await startGateway({ plugins: [a, b], logger });
    try {
      const expected = {
        exposed: "a___b",
        kept: { server: "a", original: "_b" },
        dropped: { server: "a_", original: "b" },
      };
      const tools = await get(`${t.url}/mcp/tools`, { authorization: `Bearer ${await t.key()}` });
      expect(tools.body.collisions).toEqual([expected]);
      await expect.poll(() => entries.some((e) => e.message === "tool name collision")).toBe(true);
      const events = await t.repos.systemEvents.list({ type: "naming.collision" });
      expect(events.items[0]?.message).toContain("a___b");
    } finally {
      await t.close();
    }
  });
});

describe("Host allowlist", () => {
  const initialize = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } },
  });

  async function postWithHost(url: string, host: string, key: string): Promise<number> {
    const { request } = await import("node:http");
    const target = new URL(`${url}/mcp`);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: "/mcp",
          method: "POST",
          headers: {
            host,
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
            authorization: `Bearer ${key}`,
          },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
      req.end(initialize);
    });
  }

  it("accepts configured host names and refuses others", async () => {
    const t = await startGateway({ allowedHosts: ["gateway.internal"] });
    try {
      const key = await t.key();
      expect(await postWithHost(t.url, "gateway.internal:443", key)).toBe(200);
      expect(await postWithHost(t.url, "evil.example", key)).toBe(403);
    } finally {
      await t.close();
    }
  });

  it("warns at start when bound to all interfaces without allowedHosts", async () => {
    const { logger, entries } = memoryLogger();
    const t = await startGateway({ host: "0.0.0.0", logger });
    try {
      expect(entries.some((e) => e.level === "warn" && e.message.includes("Host-header check is off"))).toBe(
        true,
      );
    } finally {
      await t.close();
    }
  });
});

describe("CORS", () => {
  it("allows listed origins (exposing the MCP session header) and no others", async () => {
    const t = await startGateway({ corsOrigins: ["https://app.example"] });
    try {
      const preflight = (origin: string) =>
        fetch(`${t.url}/mcp`, {
          method: "OPTIONS",
          headers: {
            origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization",
          },
        });
      const allowed = await preflight("https://app.example");
      expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example");
      const refused = await preflight("https://other.example");
      expect(refused.headers.get("access-control-allow-origin")).toBeNull();
      const simple = await fetch(`${t.url}/`, { headers: { origin: "https://app.example" } });
      expect(simple.headers.get("access-control-expose-headers")).toContain("Mcp-Session-Id");
    } finally {
      await t.close();
    }
  });
});
