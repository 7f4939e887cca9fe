import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { createGateway, createLogger } from "../src/index.js";
import { connectClient, get, localPlugin, memoryLogger, post, SECRET_KEY, startGateway } from "./helpers.js";

describe("gateway isolation", () => {
  it("keeps metrics and rate limits separate for two gateways in one process, even on one database", async () => {
    const a = await startGateway();
    const b = await createGateway({
      database: a.db,
      secretKey: SECRET_KEY,
      logger: createLogger({ silent: true }),
      plugins: [localPlugin()],
    });
    try {
      const { url: bUrl } = await b.listen({ port: 0 });
      const key = await a.key(["tools:call", "metrics:read"], { rateLimitPerMinute: 1 });
      const auth = { authorization: `Bearer ${key}` };
      const body = { tool: "local__echo", arguments: { text: "x" } };
      expect((await post(`${a.url}/mcp/execute`, body, auth)).status).toBe(200);
      expect((await post(`${a.url}/mcp/execute`, body, auth)).status).toBe(429);
      // Same key, other gateway: its own limiter has not counted anything yet.
      expect((await post(`${bUrl}/mcp/execute`, body, auth)).status).toBe(200);
      const metricsA = String((await get(`${a.url}/metrics`, auth)).body);
      const metricsB = String((await get(`${bUrl}/metrics`, auth)).body);
      expect(metricsA).toContain('waygate_tool_calls_total{server="local",tool="echo",outcome="ok"} 1');
      expect(metricsA).toContain('waygate_rate_limited_total{transport="rest"} 1');
      expect(metricsB).toContain('waygate_tool_calls_total{server="local",tool="echo",outcome="ok"} 1');
      expect(metricsB).not.toContain("waygate_rate_limited_total{");
    } finally {
      await b.close();
      await a.close();
    }
  });
});

/** A gateway whose `local__slow` tool resolves `slowStarted` when a call enters it. */
async function startGatewayWithSlowSignal() {
  let started!: () => void;
  const slowStarted = new Promise<void>((resolve) => {
    started = resolve;
  });
  const t = await startGateway({ plugins: [localPlugin({ onSlowStart: () => started() })] });
  return { t, slowStarted };
}

describe("graceful close", () => {
  it("lets an in-flight call finish and audits it before closing, then refuses new connections", async () => {
    const { t, slowStarted } = await startGatewayWithSlowSignal();
    const key = await t.key();
    const inFlight = post(
      `${t.url}/mcp/execute`,
      { tool: "local__slow", arguments: { ms: 300 } },
      { authorization: `Bearer ${key}` },
    );
    // Close only once the call is inside the tool, so "in flight" does not depend on the machine's speed.
    await slowStarted;
    const closed = t.gateway.close({ deadlineMs: 5000 });
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(response.body.result.content[0].text).toBe("waited 300");
    expect(await closed).toEqual({ drained: true });
    const rows = await t.db.client.execute("SELECT outcome FROM command_history WHERE tool = 'slow'");
    expect(rows.rows.map((r) => r.outcome)).toEqual(["ok"]);
    const events = await t.repos.systemEvents.list({ type: "gateway.stopped" });
    expect(events.items).toHaveLength(1);
    await expect(fetch(`${t.url}/`)).rejects.toThrow();
    await t.close();
  });

  it("reports drained: false when a call outlives the deadline", async () => {
    const { t, slowStarted } = await startGatewayWithSlowSignal();
    const key = await t.key();
    const inFlight = post(
      `${t.url}/mcp/execute`,
      { tool: "local__slow", arguments: { ms: 3000 } },
      { authorization: `Bearer ${key}` },
    ).catch(() => undefined);
    await slowStarted;
    expect(await t.gateway.close({ deadlineMs: 100 })).toEqual({ drained: false });
    await inFlight;
    await t.close();
  });
});

describe("auth 'none'", () => {
  it("serves MCP without credentials on loopback and logs that auth is off", async () => {
    const { logger, entries } = memoryLogger();
    const t = await startGateway({ auth: "none", logger });
    let client: Client | undefined;
    try {
      client = await connectClient(`${t.url}/servers/local/mcp`, undefined);
      const result = await client.callTool({ name: "echo", arguments: { text: "no key" } });
      expect(result.content).toEqual([{ type: "text", text: "no key" }]);
      expect(entries.some((e) => e.level === "warn" && e.message.includes("authentication is OFF"))).toBe(
        true,
      );
      const rows = await t.auditRows();
      expect(rows.at(-1)).toMatchObject({ key_id: null, outcome: "ok" });
    } finally {
      await client?.close();
      await t.close();
    }
  });
});

describe("list_changed", () => {
  it("notifies connected clients when a server's tools change (reload)", async () => {
    const t = await startGateway();
    const key = await t.key(["tools:list", "tools:call", "admin"]);
    const client = await connectClient(`${t.url}/mcp`, key);
    try {
      let notified = 0;
      client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
        notified++;
      });
      // Open the standalone SSE stream so server-initiated notifications have somewhere to go.
      await client.listTools();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await post(`${t.url}/mcp/servers/local/reload`, {}, { authorization: `Bearer ${key}` });
      await expect.poll(() => notified, { timeout: 5000 }).toBeGreaterThan(0);
    } finally {
      await client.close();
      await t.close();
    }
  });
});

describe("system events", () => {
  it("records gateway start", async () => {
    const t = await startGateway();
    try {
      const events = await t.repos.systemEvents.list({ type: "gateway.started" });
      expect(events.items).toHaveLength(1);
    } finally {
      await t.close();
    }
  });
});

describe("database down", () => {
  it("answers /health with 503 and /ready with 503 when the database cannot be reached, /livez with 200", async () => {
    const t = await startGateway();
    try {
      t.db.close();
      // Liveness checks only the process, so a database outage does not restart every pod.
      const live = await get(`${t.url}/livez`);
      expect(live.status).toBe(200);
      expect(live.body).toEqual({ live: true });
      const health = await get(`${t.url}/health`);
      expect(health.status).toBe(503);
      // The key cannot be checked either, so even a metrics:read key gets the status view.
      expect(health.body).toMatchObject({ status: "down", database: { ok: false } });
      expect((await get(`${t.url}/ready`)).status).toBe(503);
    } finally {
      await t.close();
    }
  });
});

describe("readiness", () => {
  it("answers /ready with 503 until auto-started servers have settled", async () => {
    const { createGateway: create } = await import("../src/index.js");
    const { openDatabase } = await import("@waygate/core");
    const db = await openDatabase({ url: ":memory:" });
    let release!: () => void;
    const startHeld = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = Object.assign(localPlugin(), { start: () => startHeld });
    const gateway = await create({
      database: db,
      secretKey: SECRET_KEY,
      logger: createLogger({ silent: true }),
      plugins: [slow],
    });
    try {
      const { url } = await gateway.listen({ port: 0 });
      const early = await get(`${url}/ready`);
      expect(early.status).toBe(503);
      expect(early.body.ready).toBe(false);
      release();
      await gateway.ready();
      expect((await get(`${url}/ready`)).status).toBe(200);
    } finally {
      await gateway.close();
      db.close();
    }
  });
});

describe("server state changes", () => {
  it("records a crash (ready to failed) and the recovery as system events and in upstream_up", async () => {
    let state: "ready" | "failed" = "ready";
    const plugin = localPlugin();
    const flaky = Object.assign(plugin, {
      getStatus: () => ({
        state,
        restarts: 0,
        ...(state === "failed" ? { lastError: { code: "x", message: "boom", at: "" } } : {}),
      }),
    });
    const t = await startGateway({ plugins: [flaky], timeouts: { statusPollMs: 20 } });
    try {
      const key = await t.key(["metrics:read"]);
      await new Promise((resolve) => setTimeout(resolve, 60));
      state = "failed";
      await expect
        .poll(async () => (await t.repos.systemEvents.list({ type: "upstream.down" })).items.length)
        .toBe(1);
      const metrics = String((await get(`${t.url}/metrics`, { authorization: `Bearer ${key}` })).body);
      expect(metrics).toContain('waygate_upstream_up{server="local"} 0');
      state = "ready";
      await expect
        .poll(async () => (await t.repos.systemEvents.list({ type: "upstream.recovered" })).items.length)
        .toBe(1);
    } finally {
      await t.close();
    }
  });
});

describe("crashes between two status samples", () => {
  it("records upstream.down and upstream.recovered when the restart count went up though the state is ready again", async () => {
    let restarts = 0;
    const plugin = localPlugin();
    // A plugin without onStatusChange, so only the watch sees it; its restart happens between two samples.
    const sampledOnly = Object.assign(plugin, {
      getStatus: () => ({ state: "ready" as const, restarts }),
      onStatusChange: undefined,
    });
    const t = await startGateway({ plugins: [sampledOnly], timeouts: { statusPollMs: 20 } });
    try {
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect((await t.repos.systemEvents.list({ type: "upstream.down" })).items).toHaveLength(0);
      restarts = 1;
      await expect
        .poll(async () => (await t.repos.systemEvents.list({ type: "upstream.recovered" })).items.length)
        .toBe(1);
      const down = (await t.repos.systemEvents.list({ type: "upstream.down" })).items;
      expect(down).toHaveLength(1);
      expect(down[0]?.message).toContain("crashed and was restarted (1 restart(s)");
    } finally {
      await t.close();
    }
  });

  it("records a crash reported through onStatusChange at once, without waiting for the watch", async () => {
    const plugin = localPlugin();
    const listeners: ((status: { state: "ready" | "connecting"; restarts: number }) => void)[] = [];
    const reporting = Object.assign(plugin, {
      onStatusChange(listener: (status: { state: "ready" | "connecting"; restarts: number }) => void) {
        listeners.push(listener);
        return () => listeners.splice(listeners.indexOf(listener), 1);
      },
    });
    // A watch that never fires within the test: only the listener can record the events.
    const t = await startGateway({ plugins: [reporting], timeouts: { statusPollMs: 3_600_000 } });
    try {
      for (const listener of listeners) listener({ state: "ready", restarts: 0 });
      for (const listener of listeners) listener({ state: "connecting", restarts: 1 });
      for (const listener of listeners) listener({ state: "ready", restarts: 1 });
      await expect
        .poll(async () => (await t.repos.systemEvents.list({ type: "upstream.recovered" })).items.length)
        .toBe(1);
      const down = (await t.repos.systemEvents.list({ type: "upstream.down" })).items;
      expect(down.map((event) => event.message)).toEqual(["Server 'local' went from ready to connecting"]);
    } finally {
      await t.close();
    }
    expect(listeners).toHaveLength(0);
  });
});

describe("start-up failures", () => {
  it("rejects an invalid upstream entry with a GatewayOptionsError naming it, before starting anything", async () => {
    const first = localPlugin();
    await expect(
      createGateway({
        databaseUrl: ":memory:",
        secretKey: SECRET_KEY,
        logger: createLogger({ silent: true }),
        plugins: [first],
        upstreams: { bad: { url: "not a url" } },
      }),
    ).rejects.toThrow(/upstreams\.bad: Invalid server 'bad': url/);
    expect(first.getStatus().state).toBe("idle");
  });

  it("stops what it started when two servers share a name", async () => {
    const first = localPlugin();
    await expect(
      createGateway({
        databaseUrl: ":memory:",
        secretKey: SECRET_KEY,
        logger: createLogger({ silent: true }),
        plugins: [first, localPlugin()],
      }),
    ).rejects.toMatchObject({ code: "conflict", message: expect.stringContaining("'local' already exists") });
    await expect.poll(() => first.getStatus().state).toBe("stopped");
  });
});
