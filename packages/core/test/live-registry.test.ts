import { describe, expect, it } from "vitest";
import { createRepositories } from "../src/index.js";
import { rejectionOf, SECRET, useTempDirs } from "./helpers.js";

const temp = useTempDirs();

describe("plugins repository: reports from gateway instances", () => {
  it("keeps each instance's view beside the shared row, with load and error counts", async () => {
    const { plugins } = createRepositories(await temp.db(), { secretKey: SECRET });
    const base = { name: "echo", source: "./plugins/echo.js", version: "1.2.0", enabled: true };
    await plugins.report({ ...base, instanceId: "a", status: "loaded", state: "ready", countLoad: true });
    await plugins.report({
      ...base,
      instanceId: "b",
      status: "failed",
      state: "failed",
      error: "boom",
      countError: true,
    });
    const shared = await plugins.get("echo");
    expect(shared).toMatchObject({
      status: "failed",
      lastError: "boom",
      loadCount: 1,
      errorCount: 1,
      instanceId: "b",
      version: "1.2.0",
    });
    expect(shared?.loadedAt).toBeInstanceOf(Date);
    const instances = await plugins.instances("echo");
    expect(
      instances.map((i) => [i.instanceId, i.status, i.state, i.loadCount, i.errorCount, i.lastError]),
    ).toEqual([
      ["a", "loaded", "ready", 1, 0, null],
      ["b", "failed", "failed", 0, 1, "boom"],
    ]);
    // A reload on b that works clears its error and counts a second load overall.
    await plugins.report({ ...base, instanceId: "b", status: "loaded", state: "ready", countLoad: true });
    expect(await plugins.get("echo")).toMatchObject({
      status: "loaded",
      lastError: null,
      loadCount: 2,
      errorCount: 1,
    });
    expect((await plugins.instances()).map((i) => i.status)).toEqual(["loaded", "loaded"]);
    // A replica stopping changes only its own row: the shared status stays what the running replica reported.
    await plugins.report({
      ...base,
      instanceId: "a",
      status: "disabled",
      state: "stopped",
      instanceOnly: true,
    });
    expect(await plugins.get("echo")).toMatchObject({ status: "loaded", instanceId: "b" });
    expect((await plugins.instances("echo")).map((i) => [i.instanceId, i.state])).toEqual([
      ["a", "stopped"],
      ["b", "ready"],
    ]);
  });

  it("refuses a report without an instance id or with an unknown status", async () => {
    const { plugins } = createRepositories(await temp.db(), { secretKey: SECRET });
    const error = await rejectionOf(
      plugins.report({ name: "echo", source: "x", instanceId: "", status: "loaded", state: "ready" }),
    );
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.message).toContain("instanceId");
    const status = await rejectionOf(
      plugins.report({
        name: "echo",
        source: "x",
        instanceId: "a",
        status: "running" as "loaded",
        state: "ready",
      }),
    );
    expect(status.message).toContain("status");
  });
});

describe("metrics repository: history and downsampling", () => {
  const HOUR = 3_600_000;
  const t0 = Date.UTC(2026, 0, 1, 0, 0, 0);

  it("sums counters across instances and labels per step, maxes gauges, filters by label subset", async () => {
    const { metrics } = createRepositories(await temp.db(), { secretKey: SECRET });
    await metrics.recordMany([
      { name: "waygate_calls_total", labels: { server: "a", instance: "i1" }, value: 3, at: new Date(t0) },
      {
        name: "waygate_calls_total",
        labels: { server: "a", instance: "i2" },
        value: 4,
        at: new Date(t0 + 30_000),
      },
      {
        name: "waygate_calls_total",
        labels: { server: "b", instance: "i1" },
        value: 10,
        at: new Date(t0 + 61_000),
      },
      { name: "waygate_p95_ms", labels: { server: "a", instance: "i1" }, value: 80, at: new Date(t0) },
      { name: "waygate_p95_ms", labels: { server: "a", instance: "i2" }, value: 120, at: new Date(t0) },
    ]);
    const range = { since: new Date(t0), until: new Date(t0 + 120_000), stepMs: 60_000 };
    const all = await metrics.history({ name: "waygate_calls_total", ...range });
    expect(all.map((p) => [p.at.getTime() - t0, p.value, p.samples])).toEqual([
      [0, 7, 2],
      [60_000, 10, 1],
    ]);
    const onlyA = await metrics.history({ name: "waygate_calls_total", labels: { server: "a" }, ...range });
    expect(onlyA.map((p) => p.value)).toEqual([7]);
    const p95 = await metrics.history({ name: "waygate_p95_ms", ...range });
    expect(p95.map((p) => p.value)).toEqual([120]);
  });

  it("refuses an open or inverted range and a step that gives too many points", async () => {
    const { metrics } = createRepositories(await temp.db(), { secretKey: SECRET });
    const inverted = await rejectionOf(
      metrics.history({ name: "x_total", since: new Date(t0), until: new Date(t0 - 1), stepMs: 60_000 }),
    );
    expect(inverted.message).toContain("must be after since");
    const tooMany = await rejectionOf(
      metrics.history({ name: "x_total", since: new Date(0), until: new Date(t0), stepMs: 1000 }),
    );
    expect(tooMany.message).toContain("more than 10000 points");
    const badLabel = await rejectionOf(
      metrics.history({
        name: "x_total",
        labels: { 'a") OR 1=1 --': "x" },
        since: new Date(t0),
        until: new Date(t0 + HOUR),
        stepMs: 60_000,
      }),
    );
    expect(badLabel.message).toContain("must be a label name");
  });

  it("downsamples old rows to hourly ones keeping counter totals and gauge maxima, and is idempotent", async () => {
    const { metrics } = createRepositories(await temp.db(), { secretKey: SECRET });
    const samples = [];
    for (let minute = 0; minute < 180; minute++) {
      samples.push({
        name: "waygate_calls_total",
        labels: { server: "a" },
        value: minute % 7,
        at: new Date(t0 + minute * 60_000),
      });
      samples.push({
        name: "waygate_queue_depth",
        labels: {},
        value: minute % 50,
        at: new Date(t0 + minute * 60_000),
      });
    }
    await metrics.recordMany(samples);
    const range = { since: new Date(t0), until: new Date(t0 + 3 * HOUR), stepMs: HOUR };
    const before = await metrics.history({ name: "waygate_calls_total", ...range });
    const total = before.reduce((sum, p) => sum + p.value, 0);
    // Cut inside the third hour: only the first two whole hours are merged.
    const merged = await metrics.downsample(new Date(t0 + 2 * HOUR + 30 * 60_000));
    expect(merged).toBe(2 * (120 - 2));
    const after = await metrics.history({ name: "waygate_calls_total", ...range });
    expect(after.map((p) => p.value)).toEqual(before.map((p) => p.value));
    expect(after.map((p) => p.samples)).toEqual([1, 1, 60]);
    expect(after.reduce((sum, p) => sum + p.value, 0)).toBe(total);
    const depth = await metrics.history({ name: "waygate_queue_depth", ...range });
    expect(depth.map((p) => p.value)).toEqual([49, 49, 49]);
    expect(await metrics.downsample(new Date(t0 + 2 * HOUR + 30 * 60_000))).toBe(0);
    expect((await metrics.history({ name: "waygate_calls_total", ...range })).map((p) => p.value)).toEqual(
      before.map((p) => p.value),
    );
  });
});

describe("config repository: what a setting expects", () => {
  it("names the setting and the expected type in a wrong-type error, and lists runtime flags", async () => {
    const { config } = createRepositories(await temp.db(), { secretKey: SECRET });
    const error = await rejectionOf(config.setFromInput("mcp.maxSessions", "many"));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toContain(
      'Invalid value for setting "mcp.maxSessions" (expected a positive integer up to 1000000)',
    );
    const level = await rejectionOf(config.setFromInput("log.level", "loud"));
    expect(level.message).toContain("expected one of error, warn, info");
    const unknown = await rejectionOf(config.setFromInput("log.colour", "red"));
    expect(unknown.message).toContain('Unknown setting "log.colour"');
    const listed = await config.list();
    expect(listed.find((e) => e.key === "log.level")).toMatchObject({
      runtime: true,
      expected: expect.stringContaining("one of"),
    });
    expect(listed.find((e) => e.key === "gateway.name")).toMatchObject({
      runtime: false,
      expected: "a string",
    });
  });
});

describe("config repository: runtime changes", () => {
  it("stores a change and its system event together, naming the changer; unset records too", async () => {
    const db = await temp.db();
    const { config, systemEvents } = createRepositories(db, { secretKey: SECRET });
    const set = await config.change("rateLimit.defaultPerMinute", "120", { by: "key-1", via: "admin_api" });
    expect(set).toEqual({
      key: "rateLimit.defaultPerMinute",
      value: 120,
      previous: undefined,
      changed: true,
    });
    expect(await config.get("rateLimit.defaultPerMinute")).toBe(120);
    const unset = await config.change("rateLimit.defaultPerMinute", undefined, { by: null, via: "cli" });
    expect(unset).toMatchObject({ value: undefined, previous: 120, changed: true });
    expect(
      (await config.change("rateLimit.defaultPerMinute", undefined, { by: null, via: "cli" })).changed,
    ).toBe(false);
    const events = (await systemEvents.list({ type: "config.changed" })).items;
    expect(events.map((e) => e.details)).toEqual([
      { key: "rateLimit.defaultPerMinute", value: null, previous: null, by: null, via: "cli" },
      { key: "rateLimit.defaultPerMinute", value: null, previous: 120, by: null, via: "cli" },
      { key: "rateLimit.defaultPerMinute", value: 120, previous: null, by: "key-1", via: "admin_api" },
    ]);
  });

  it("refuses file-only settings, start-only settings and bad values, storing nothing", async () => {
    const db = await temp.db();
    const { config } = createRepositories(db, { secretKey: SECRET });
    const actor = { by: "key-1", via: "admin_api" } as const;
    const egress = await rejectionOf(config.change("egress.allow", '["0.0.0.0/0"]', actor));
    expect(egress.code).toBe("CONFIG_INVALID");
    expect(egress.message).toContain('Setting "egress.allow" is file-only');
    expect((await rejectionOf(config.change("auth", "none", actor))).message).toContain("file-only");
    expect((await rejectionOf(config.change("stdioAllowlist", "[]", actor))).message).toContain("file-only");
    const startOnly = await rejectionOf(config.change("gateway.name", "x", actor));
    expect(startOnly.message).toContain('Setting "gateway.name" is read at start only');
    const bad = await rejectionOf(config.change("upstream.requestTimeoutMs", "soon", actor));
    expect(bad.message).toContain('"upstream.requestTimeoutMs" (expected an integer from 100 to 3600000)');
    const rows = await db.client.execute("SELECT count(*) AS n FROM config");
    expect(Number(rows.rows[0]?.n)).toBe(0);
  });
});
