import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../src/index.js";
import { startMetricsRollup } from "../src/metrics-history.js";
import { get, memoryLogger, post, startGateway, type TestGateway } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

/** Calls that end ok, in error, denied (pattern) and rate limited, each audited. */
async function mixedCalls(t: TestGateway) {
  const key = await t.key(["tools:list", "tools:call"]);
  const narrow = await t.key(["tools:call"], { toolPatterns: ["local__echo"] });
  const limited = await t.key(["tools:call"], { rateLimitPerMinute: 1 });
  for (let i = 0; i < 5; i++)
    await post(`${t.url}/mcp/execute`, { tool: "local__echo", arguments: { text: `${i}` } }, auth(key));
  await post(`${t.url}/mcp/execute`, { tool: "local__fail", arguments: {} }, auth(key));
  await post(`${t.url}/mcp/execute`, { tool: "local__fail", arguments: {} }, auth(narrow));
  await post(`${t.url}/mcp/execute`, { tool: "local__echo", arguments: { text: "x" } }, auth(limited));
  await post(`${t.url}/mcp/execute`, { tool: "local__echo", arguments: { text: "y" } }, auth(limited));
  await post(`${t.url}/mcp/execute`, { tool: "local__nonexistent", arguments: {} }, auth(key));
}

async function sumOf(t: TestGateway, name: string, where = ""): Promise<number> {
  const result = await t.db.client.execute({
    sql: `SELECT coalesce(sum(value), 0) AS n FROM metrics WHERE name = ? ${where}`,
    args: [name],
  });
  return Number(result.rows[0]?.n);
}

async function countOf(t: TestGateway, where = ""): Promise<number> {
  const result = await t.db.client.execute(`SELECT count(*) AS n FROM command_history ${where}`);
  return Number(result.rows[0]?.n);
}

describe("metric roll-ups", () => {
  it("write totals equal to command_history's counts, per outcome, server and key", async () => {
    const t = await startGateway({ instanceId: "rollup-a", metricsHistory: { intervalMs: 3_600_000 } });
    let closed = false;
    cleanups.push(async () => {
      if (!closed) await t.close();
    });
    await mixedCalls(t);
    // Only close() writes (the interval is an hour): it writes the last window; the database stays open for the checks.
    await t.gateway.close({ deadlineMs: 2000 });
    closed = true;
    const history = await countOf(t);
    expect(history).toBeGreaterThanOrEqual(10);
    expect(await sumOf(t, "waygate_calls_total")).toBe(history);
    expect(await sumOf(t, "waygate_call_errors_total")).toBe(
      await countOf(t, "WHERE outcome IN ('error', 'timeout')"),
    );
    expect(await sumOf(t, "waygate_call_denials_total")).toBe(await countOf(t, "WHERE outcome = 'denied'"));
    expect(await sumOf(t, "waygate_call_rate_limited_total")).toBe(
      await countOf(t, "WHERE outcome = 'rate_limited'"),
    );
    expect(await sumOf(t, "waygate_call_rate_limited_total")).toBeGreaterThan(0);
    expect(await sumOf(t, "waygate_call_denials_total")).toBeGreaterThan(0);
    expect(await sumOf(t, "waygate_key_calls_total")).toBe(history);
    expect(
      await sumOf(
        t,
        "waygate_calls_total",
        "AND json_extract(labels, '$.server') = 'local' AND json_extract(labels, '$.tool') = 'echo'",
      ),
    ).toBe(await countOf(t, "WHERE server = 'local' AND tool = 'echo'"));
    // A tool that never ran is counted under `unknown`, so a caller cannot grow the label set.
    const tools = await t.db.client.execute(
      "SELECT DISTINCT json_extract(labels, '$.tool') AS tool FROM metrics WHERE name = 'waygate_calls_total'",
    );
    expect(tools.rows.map((r) => r.tool)).not.toContain("nonexistent");
    const instances = await t.db.client.execute(
      "SELECT DISTINCT json_extract(labels, '$.instance') AS i FROM metrics",
    );
    expect(instances.rows.map((r) => r.i)).toEqual(["rollup-a"]);
    const p95 = await t.db.client.execute(
      "SELECT value FROM metrics WHERE name = 'waygate_call_duration_ms' AND json_extract(labels, '$.quantile') = '0.95'",
    );
    expect(p95.rows.length).toBeGreaterThan(0);
    expect(
      await sumOf(t, "waygate_upstream_up_seconds_total", "AND json_extract(labels, '$.server') = 'local'"),
    ).toBeGreaterThanOrEqual(0);
    expect(await sumOf(t, "waygate_audit_queue_depth")).toBe(0);
    // An upstream that stayed up has no down time; the write latency is that of the roll-up before.
  });

  it("counts a failed upstream's down time, and each roll-up records the latency of the write before it", async () => {
    const t = await startGateway({
      upstreams: { broken: { command: process.execPath, args: ["-e", "process.exit(1)"] } },
      metricsHistory: { intervalMs: 50 },
    });
    cleanups.push(() => t.close());
    await expect
      .poll(
        () =>
          sumOf(t, "waygate_upstream_down_seconds_total", "AND json_extract(labels, '$.server') = 'broken'"),
        {
          timeout: 10_000,
        },
      )
      .toBeGreaterThan(0);
    expect(
      await sumOf(t, "waygate_upstream_up_seconds_total", "AND json_extract(labels, '$.server') = 'broken'"),
    ).toBe(0);
    await expect
      .poll(
        async () => {
          const latency = await t.db.client.execute(
            "SELECT value FROM metrics WHERE name = 'waygate_db_write_latency_ms'",
          );
          return latency.rows.length > 0 && latency.rows.every((row) => Number(row.value) >= 0);
        },
        { timeout: 10_000 },
      )
      .toBe(true);
  });

  it("keeps serving calls while the database refuses roll-up writes, logs it, and writes them later", async () => {
    const { logger, entries } = memoryLogger();
    const t = await startGateway({ logger, metricsHistory: { intervalMs: 50 } });
    let closed = false;
    cleanups.push(async () => {
      if (!closed) await t.close();
    });
    // A real refusal from the database: every insert into metrics aborts.
    await t.db.client.execute(
      "CREATE TRIGGER refuse_metrics BEFORE INSERT ON metrics BEGIN SELECT RAISE(ABORT, 'metrics writes refused'); END",
    );
    const key = await t.key();
    for (let i = 0; i < 20; i++) {
      const response = await post(
        `${t.url}/mcp/execute`,
        { tool: "local__echo", arguments: { text: "x" } },
        auth(key),
      );
      expect(response.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await expect
      .poll(() => entries.some((e) => e.message.includes("metric roll-up write failed; retrying")), {
        timeout: 5000,
      })
      .toBe(true);
    expect(await sumOf(t, "waygate_calls_total")).toBe(0);
    await t.db.client.execute("DROP TRIGGER refuse_metrics");
    await t.gateway.close({ deadlineMs: 2000 });
    closed = true;
    expect(await sumOf(t, "waygate_calls_total")).toBe(await countOf(t));
    await t.close().catch(() => undefined);
  });
});

describe("GET /metrics/history", () => {
  it("answers buckets summed across instances, and 400 for an open range, a bad step or too many points", async () => {
    const t = await startGateway();
    cleanups.push(() => t.close());
    const reader = await t.key(["metrics:read"]);
    const at = Date.now() - 10 * 60_000;
    await t.repos.metrics.recordMany([
      { name: "waygate_calls_total", labels: { server: "a", instance: "x" }, value: 2, at: new Date(at) },
      { name: "waygate_calls_total", labels: { server: "a", instance: "y" }, value: 3, at: new Date(at) },
      { name: "waygate_calls_total", labels: { server: "b", instance: "y" }, value: 7, at: new Date(at) },
    ]);
    const ok = await get(
      `${t.url}/metrics/history?name=waygate_calls_total&labels=server%3Da&since=1h&step=1h`,
      auth(reader),
    );
    expect(ok.status).toBe(200);
    expect(ok.body.points.map((p: { value: number }) => p.value)).toEqual([5]);
    expect(ok.body.labels).toEqual({ server: "a" });
    const open = await get(`${t.url}/metrics/history?name=waygate_calls_total`, auth(reader));
    expect(open.status).toBe(400);
    expect(open.body.error.message).toContain("unbounded range is refused");
    const badStep = await get(
      `${t.url}/metrics/history?name=waygate_calls_total&since=1h&step=often`,
      auth(reader),
    );
    expect(badStep.status).toBe(400);
    expect(badStep.body.error.message).toContain("Invalid step 'often'");
    const tooMany = await get(
      `${t.url}/metrics/history?name=waygate_calls_total&since=30d&step=1s`,
      auth(reader),
    );
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toContain("more than 10000 points");
    const badSince = await get(
      `${t.url}/metrics/history?name=waygate_calls_total&since=yesterday`,
      auth(reader),
    );
    expect(badSince.status).toBe(400);
    expect(badSince.body.error.message).toContain("Invalid since 'yesterday'");
    const noScope = await get(
      `${t.url}/metrics/history?name=waygate_calls_total&since=1h`,
      auth(await t.key(["tools:list"])),
    );
    expect(noScope.status).toBe(403);
    const anonymous = await get(`${t.url}/metrics/history?name=waygate_calls_total&since=1h`);
    expect(anonymous.status).toBe(401);
  });
});

describe("metric retention", () => {
  it("deletes rows past metrics.retainDays and merges older ones into hourly rows, keeping totals", async () => {
    const t = await startGateway({ metricsHistory: { intervalMs: 3_600_000 } });
    cleanups.push(() => t.close());
    const now = Date.UTC(2026, 5, 10, 12, 0, 0);
    const HOUR = 3_600_000;
    const rows = [];
    for (let minute = 0; minute < 120; minute++) {
      // Two hours, ten days ago (past retention), three days ago (to downsample) and an hour ago (kept as is).
      for (const base of [now - 240 * HOUR, now - 72 * HOUR, now - 2 * HOUR]) {
        rows.push({
          name: "waygate_calls_total",
          labels: { server: "a", instance: "i" },
          value: 1,
          at: new Date(base + minute * 60_000),
        });
      }
    }
    await t.repos.metrics.recordMany(rows);
    const rollup = startMetricsRollup({
      metrics: t.repos.metrics,
      instanceId: "i",
      logger: createLogger({ silent: true }),
      intervalMs: 0,
      compactEveryMs: HOUR,
      knownServers: () => new Set(),
      upstreamStates: () => [],
      auditDepth: () => 0,
      retainDays: () => 7,
      downsampleAfterHours: () => 48,
      now: () => now,
    });
    const total = async (sinceHoursAgo: number, untilHoursAgo: number) =>
      (
        await t.repos.metrics.history({
          name: "waygate_calls_total",
          since: new Date(now - sinceHoursAgo * HOUR),
          until: new Date(now - untilHoursAgo * HOUR),
          stepMs: HOUR,
        })
      ).reduce((sum, point) => sum + point.value, 0);
    await rollup.compact();
    await rollup.stop();
    expect(await total(300, 200)).toBe(0);
    expect(await total(80, 60)).toBe(120);
    expect(await total(3, 0)).toBe(120);
    const old = await t.db.client.execute({
      sql: "SELECT count(*) AS n FROM metrics WHERE at < ? AND at > ?",
      args: [now - 60 * HOUR, now - 80 * HOUR],
    });
    expect(Number(old.rows[0]?.n)).toBe(2);
  });
});
