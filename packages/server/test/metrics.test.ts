import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient, get, post, startGateway, type TestGateway } from "./helpers.js";

let t: TestGateway;
let key: string;

beforeAll(async () => {
  t = await startGateway({ collectDefaultMetrics: true });
  key = await t.key(["tools:list", "tools:call", "metrics:read"]);
  await post(
    `${t.url}/mcp/execute`,
    { tool: "local__echo", arguments: { text: "a" } },
    { authorization: `Bearer ${key}` },
  );
  await post(
    `${t.url}/mcp/execute`,
    { tool: "made_up_tool_name", arguments: {} },
    { authorization: `Bearer ${key}` },
  );
  await post(`${t.url}/mcp/execute`, { tool: "local__echo" }, { authorization: "Bearer wg_wrong" });
});
afterAll(async () => {
  await t?.close();
});

describe("GET /metrics", () => {
  it("requires the metrics:read scope by default", async () => {
    expect((await get(`${t.url}/metrics`)).status).toBe(401);
    const res = await get(`${t.url}/metrics`, { authorization: `Bearer ${await t.key(["tools:call"])}` });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain("'metrics:read'");
  });

  it("reports tool calls, HTTP requests, auth failures, upstream state and audit depth", async () => {
    const res = await get(`${t.url}/metrics`, { authorization: `Bearer ${key}` });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = String(res.body);
    expect(text).toContain('waygate_tool_calls_total{server="local",tool="echo",outcome="ok"} 1');
    expect(text).toContain('waygate_http_requests_total{method="POST",route="/mcp/execute",status="200"}');
    expect(text).toContain('waygate_auth_failures_total{reason="malformed"} 1');
    expect(text).toContain('waygate_upstream_up{server="local"} 1');
    expect(text).toContain("waygate_audit_queue_depth 0");
    expect(text).toContain("waygate_process_resident_memory_bytes");
  });

  it("times tool calls, HTTP and MCP requests in histograms, and counts open MCP sessions", async () => {
    const client = await connectClient(`${t.url}/mcp`, key);
    try {
      await client.callTool({ name: "local__echo", arguments: { text: "timed" } });
      const text = String((await get(`${t.url}/metrics`, { authorization: `Bearer ${key}` })).body);
      expect(text).toMatch(/^waygate_tool_call_duration_seconds_count\{[^}]*server="local"[^}]*\} [1-9]/m);
      expect(text).toMatch(/^waygate_http_request_duration_seconds_count\{[^}]*\} [1-9]/m);
      expect(text).toMatch(/^waygate_mcp_request_duration_seconds_count\{[^}]*\} [1-9]/m);
      expect(text).toMatch(/^waygate_mcp_sessions(\{[^}]*\})? [1-9]/m);
    } finally {
      await client.close();
    }
  });

  it("bounds label values: an unknown tool name becomes the fixed label 'unknown'", async () => {
    const text = String((await get(`${t.url}/metrics`, { authorization: `Bearer ${key}` })).body);
    expect(text).not.toContain("made_up_tool_name");
    expect(text).toContain('waygate_tool_calls_total{server="unknown",tool="unknown",outcome="error"} 1');
  });

  it("never puts a key into metrics", async () => {
    const text = String((await get(`${t.url}/metrics`, { authorization: `Bearer ${key}` })).body);
    expect(text).not.toContain(key);
    expect(text).not.toContain("wg_wrong");
  });

  it("is accepted by promtool check metrics", async () => {
    const text = String((await get(`${t.url}/metrics`, { authorization: `Bearer ${key}` })).body);
    const dir = mkdtempSync(join(tmpdir(), "waygate-promtool-"));
    try {
      const file = join(dir, "metrics.txt");
      writeFileSync(file, text);
      // promtool reads the exposition from stdin and exits non-zero on any problem.
      let output = "";
      try {
        output = execFileSync("sh", ["-c", `promtool check metrics < "${file}" 2>&1`], { encoding: "utf8" });
      } catch (error) {
        output = `promtool failed: ${(error as { stdout?: string }).stdout ?? String(error)}`;
      }
      expect(output.trim()).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("can be served without a key when configured open", async () => {
    const open = await startGateway({ metrics: "open" });
    try {
      const res = await get(`${open.url}/metrics`);
      expect(res.status).toBe(200);
      expect(String(res.body)).toContain("waygate_http_requests_total");
    } finally {
      await open.close();
    }
  });
});
