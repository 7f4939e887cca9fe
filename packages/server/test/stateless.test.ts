import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient, get, post, startGateway, type TestGateway } from "./helpers.js";

let t: TestGateway;
let key: string;
const accept = "application/json, text/event-stream";

beforeAll(async () => {
  t = await startGateway({ mcpSessionMode: "stateless", mcpResponseMode: "json" });
  key = await t.key();
});
afterAll(async () => {
  await t?.close();
});

describe("stateless MCP endpoint", () => {
  it("serves the official SDK client without a session: initialize, list and call", async () => {
    const client = await connectClient(`${t.url}/mcp`, key);
    try {
      const tools = await client.listTools();
      expect(tools.tools.map((tool) => tool.name)).toContain("local__echo");
      const result = await client.callTool({ name: "local__echo", arguments: { text: "hi" } });
      expect(result.content).toEqual([{ type: "text", text: "hi" }]);
    } finally {
      await client.close();
    }
    const rows = await t.auditRows();
    expect(rows.filter((row) => row.tool === "echo" && row.outcome === "ok").length).toBeGreaterThanOrEqual(
      1,
    );
  });

  it("answers a tools/call that no initialize preceded (another replica may have seen it), with no session id", async () => {
    const res = await post(
      `${t.url}/mcp`,
      {
        jsonrpc: "2.0",
        id: 7,
        method: "tools/call",
        params: { name: "local__echo", arguments: { text: "x" } },
      },
      { authorization: `Bearer ${key}`, accept, "mcp-protocol-version": "2025-06-18" },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("mcp-session-id")).toBeNull();
    expect(res.body).toMatchObject({ id: 7, result: { content: [{ type: "text", text: "x" }] } });
  });

  it("refuses GET and DELETE with 405 and says the endpoint is stateless", async () => {
    const res = await get(`${t.url}/mcp`, { authorization: `Bearer ${key}`, accept: "text/event-stream" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect(res.body.error.message).toContain("stateless");
    const del = await fetch(`${t.url}/mcp`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${key}` },
    });
    expect(del.status).toBe(405);
  });

  it("still refuses a request without a key", async () => {
    const res = await post(`${t.url}/mcp`, { jsonrpc: "2.0", id: 1, method: "tools/list" }, { accept });
    expect(res.status).toBe(401);
  });
});

describe("stateless MCP endpoint and server-to-client requests", () => {
  it("fails a tool that asks the client to sample at once, saying a stateful session is needed", async () => {
    const client = await connectClient(`${t.url}/mcp`, key, {
      capabilities: { capabilities: { sampling: {} } },
    });
    try {
      const result = await client.callTool({ name: "local__ask", arguments: { question: "?" } });
      expect(result.isError).toBe(true);
      expect(JSON.stringify(result.content)).toContain("need a stateful MCP session");
    } finally {
      await client.close();
    }
  });
});
