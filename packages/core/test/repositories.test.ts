import { describe, expect, it } from "vitest";
import { createRepositories, NotFoundError } from "../src/index.js";
import { rejectionOf, SECRET, useTempDirs } from "./helpers.js";

const temp = useTempDirs();
const T0 = Date.parse("2026-03-01T00:00:00Z");

describe("metrics repository", () => {
  it("stores roll-ups and queries one metric by exact labels, regardless of label order", async () => {
    const { metrics } = createRepositories(await temp.db(), { secretKey: SECRET });
    await metrics.recordMany([
      { name: "waygate_tool_calls_total", labels: { tool: "a", outcome: "ok" }, value: 3, at: new Date(T0) },
      {
        name: "waygate_tool_calls_total",
        labels: { outcome: "ok", tool: "b" },
        value: 4,
        at: new Date(T0 + 1),
      },
      { name: "waygate_up", value: 1, at: new Date(T0) },
    ]);
    const forA = await metrics.query({
      name: "waygate_tool_calls_total",
      labels: { outcome: "ok", tool: "a" },
    });
    expect(forA.items.map((m) => [m.value, m.labels])).toEqual([[3, { outcome: "ok", tool: "a" }]]);
    expect((await metrics.query({ name: "waygate_tool_calls_total" })).items).toHaveLength(2);
    expect(await metrics.prune(new Date(T0 + 1))).toBe(2);
  });

  it("hides secret-named labels and rejects bad metric names", async () => {
    const { metrics } = createRepositories(await temp.db(), { secretKey: SECRET });
    await metrics.recordMany([{ name: "m", labels: { token: "abc" }, value: 1 }]);
    expect((await metrics.query({ name: "m" })).items[0]?.labels).toEqual({ token: "[REDACTED]" });
    const error = await rejectionOf(metrics.recordMany([{ name: "has space", value: 1 }]));
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.message).toContain("metric sample at index 0");
    const notFinite = await rejectionOf(metrics.recordMany([{ name: "m", value: Number.NaN }]));
    expect(notFinite.issues[0]?.path).toBe("value");
  });
});

describe("systemEvents repository", () => {
  it("records events with redacted details and lists them by level and type", async () => {
    const { systemEvents } = createRepositories(await temp.db(), { secretKey: SECRET });
    const event = await systemEvents.record({
      level: "error",
      type: "upstream.crashed",
      message: "github exited with code 1",
      details: { server: "github", env: { GITHUB_TOKEN: "ghp_x" } },
    });
    expect(event).toMatchObject({
      level: "error",
      details: { server: "github", env: { GITHUB_TOKEN: "[REDACTED]" } },
    });
    await systemEvents.record({ level: "info", type: "gateway.started", message: "listening" });
    expect((await systemEvents.list({ level: "error" })).items.map((e) => e.type)).toEqual([
      "upstream.crashed",
    ]);
    expect((await systemEvents.list({ type: "gateway.started" })).items[0]?.details).toBeNull();
    expect((await systemEvents.list()).items).toHaveLength(2);
    const one = await systemEvents.get(event.id);
    expect(one).toMatchObject({ id: event.id, type: "upstream.crashed", details: event.details });
    expect(one?.at).toEqual(event.at);
    expect(await systemEvents.get(event.id + 1000)).toBeNull();
  });

  it("rejects an unknown level and an empty message", async () => {
    const { systemEvents } = createRepositories(await temp.db(), { secretKey: SECRET });
    const error = await rejectionOf(
      systemEvents.record({ level: "fatal" as "error", type: "x", message: "" }),
    );
    expect(error.issues.map((i) => i.path).sort()).toEqual(["level", "message"]);
  });
});

describe("plugins repository", () => {
  it("registers plugins, records load results and enablement", async () => {
    const { plugins } = createRepositories(await temp.db(), { secretKey: SECRET });
    const registered = await plugins.upsert({ name: "echo", source: "@acme/waygate-echo", version: "1.0.0" });
    expect(registered).toMatchObject({ status: "registered", enabled: true, loadedAt: null });
    const failed = await plugins.setStatus("echo", "failed", "Cannot find module");
    expect(failed).toMatchObject({ status: "failed", lastError: "Cannot find module" });
    const loaded = await plugins.setStatus("echo", "loaded");
    expect(loaded.lastError).toBeNull();
    expect(loaded.loadedAt).toBeInstanceOf(Date);
    expect((await plugins.setEnabled("echo", false)).status).toBe("disabled");
    expect((await plugins.setEnabled("echo", true)).status).toBe("registered");
    await plugins.upsert({ name: "echo", source: "./plugins/echo.js" });
    expect((await plugins.get("echo"))?.source).toBe("./plugins/echo.js");
    expect((await plugins.list()).map((p) => p.name)).toEqual(["echo"]);
    expect(await plugins.remove("echo")).toBe(true);
    expect(await plugins.get("echo")).toBeNull();
  });

  it("rejects a bad name and reports unknown plugins", async () => {
    const { plugins } = createRepositories(await temp.db(), { secretKey: SECRET });
    const bad = await rejectionOf(plugins.upsert({ name: "has space", source: "x" }));
    expect(bad.issues[0]?.path).toBe("name");
    const missing = await rejectionOf(plugins.setStatus("ghost", "loaded"));
    expect(NotFoundError.isInstance(missing)).toBe(true);
    expect(missing.message).toContain('"ghost"');
    const badStatus = await rejectionOf(plugins.setStatus("ghost", "exploded" as "loaded"));
    expect(badStatus.code).toBe("INVALID_INPUT");
  });
});
