import { describe, expect, it } from "vitest";
import { type AuditEntry, createRepositories, InvalidInputError } from "../src/index.js";
import { rejectionOf, SECRET, useTempDirs } from "./helpers.js";

const temp = useTempDirs();
const T0 = Date.parse("2026-03-01T00:00:00Z");

function call(n: number, at: number, extra: Partial<AuditEntry> = {}): AuditEntry {
  return {
    requestId: `r${n}`,
    keyId: null,
    server: "github",
    tool: "create_issue",
    outcome: "ok",
    durationMs: n,
    at: new Date(at),
    ...extra,
  };
}

async function repositories() {
  return createRepositories(await temp.db(), { secretKey: SECRET });
}

describe("commandHistory.get", () => {
  it("reads one row by id with its redacted arguments and error, and null for an unknown id", async () => {
    const { commandHistory } = await repositories();
    await commandHistory.appendMany([
      call(1, T0, { outcome: "error", error: "upstream said no", arguments: { token: "s3cret", q: "x" } }),
    ]);
    const [row] = (await commandHistory.query()).items;
    const one = await commandHistory.get(row!.id);
    expect(one).toMatchObject({ requestId: "r1", outcome: "error", error: "upstream said no" });
    expect(one?.arguments).toEqual({ token: "[REDACTED]", q: "x" });
    expect(await commandHistory.get(row!.id + 1)).toBeNull();
    expect(await commandHistory.get(-1)).toBeNull();
  });
});

describe("commandHistory.stats", () => {
  it("counts calls and errors and takes nearest-rank p50/p95 per step, overall and per server", async () => {
    const { commandHistory } = await repositories();
    // Step 0: durations 1..20 on github (two errors); step 1: empty; step 2: one call on fs.
    const entries = Array.from({ length: 20 }, (_, i) =>
      call(i + 1, T0 + i * 100, { outcome: i < 2 ? "denied" : "ok" }),
    );
    entries.push(call(500, T0 + 2 * 60_000 + 5, { server: "fs", tool: "read_file" }));
    entries.push(call(999, T0 + 3 * 60_000, { server: "fs" })); // at `to`: outside the range
    await commandHistory.appendMany(entries);

    const stats = await commandHistory.stats({
      from: new Date(T0),
      to: new Date(T0 + 3 * 60_000),
      stepMs: 60_000,
    });
    expect(stats.buckets).toEqual([
      { at: new Date(T0), calls: 20, errors: 2, p50Ms: 10, p95Ms: 19 },
      { at: new Date(T0 + 60_000), calls: 0, errors: 0, p50Ms: null, p95Ms: null },
      { at: new Date(T0 + 120_000), calls: 1, errors: 0, p50Ms: 500, p95Ms: 500 },
    ]);
    const byServer = Object.fromEntries(stats.servers.map((s) => [s.server, s.buckets]));
    expect(byServer.github).toEqual([{ at: new Date(T0), calls: 20, errors: 2, p50Ms: 10, p95Ms: 19 }]);
    expect(byServer.fs).toEqual([
      { at: new Date(T0 + 120_000), calls: 1, errors: 0, p50Ms: 500, p95Ms: 500 },
    ]);
  });

  it("refuses a range of more steps than it returns, a step under 1 s and an empty range, naming the fix", async () => {
    const { commandHistory } = await repositories();
    const tooMany = await rejectionOf(
      commandHistory.stats({ from: new Date(T0), to: new Date(T0 + 86_400_000), stepMs: 1000 }),
    );
    expect(tooMany).toBeInstanceOf(InvalidInputError);
    expect(tooMany.message).toContain("use a larger step or a shorter range");
    const tinyStep = await rejectionOf(
      commandHistory.stats({ from: new Date(T0), to: new Date(T0 + 5000), stepMs: 10 }),
    );
    expect(tinyStep.message).toContain("step must be at least 1 s");
    const backwards = await rejectionOf(
      commandHistory.stats({ from: new Date(T0), to: new Date(T0), stepMs: 1000 }),
    );
    expect(backwards.message).toContain("`to` must be after `from`");
  });
});
