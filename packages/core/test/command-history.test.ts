import { describe, expect, it } from "vitest";
import { type AuditEntry, createRepositories, InvalidInputError } from "../src/index.js";
import { rejectionOf, SECRET, useTempDirs } from "./helpers.js";

const temp = useTempDirs();
const T0 = Date.parse("2026-03-01T00:00:00Z");

function call(n: number, extra: Partial<AuditEntry> = {}): AuditEntry {
  return {
    requestId: `r${n}`,
    keyId: null,
    server: n % 2 === 0 ? "github" : "fs",
    tool: n % 2 === 0 ? "create_issue" : "read_file",
    outcome: n % 5 === 0 ? "error" : "ok",
    durationMs: n,
    at: new Date(T0 + n * 1000),
    ...extra,
  };
}

describe("commandHistory", () => {
  it("appends many rows in one transaction and queries them newest first with filters", async () => {
    const db = await temp.db();
    const repos = createRepositories(db, { secretKey: SECRET });
    const { key } = await repos.apiKeys.create({ name: "k", scopes: [] });
    const entries = Array.from({ length: 30 }, (_, n) => call(n, { keyId: n < 10 ? key.id : null }));
    expect(await repos.commandHistory.appendMany(entries)).toBe(30);

    const all = await repos.commandHistory.query({ limit: 1000 });
    expect(all.items.map((item) => item.requestId)).toEqual(entries.map((e) => e.requestId).reverse());
    expect(all.nextCursor).toBeNull();

    const byKey = await repos.commandHistory.query({ keyId: key.id });
    expect(byKey.items).toHaveLength(10);
    const errorsOnGithub = await repos.commandHistory.query({ tool: "create_issue", outcome: "error" });
    expect(errorsOnGithub.items.map((i) => i.requestId)).toEqual(["r20", "r10", "r0"]);
    const window = await repos.commandHistory.query({ from: new Date(T0 + 5000), to: new Date(T0 + 8000) });
    expect(window.items.map((i) => i.requestId)).toEqual(["r7", "r6", "r5"]);
    expect((await repos.commandHistory.query({ requestId: "r3" })).items[0]).toMatchObject({
      server: "fs",
      tool: "read_file",
      transport: "mcp",
      durationMs: 3,
      at: new Date(T0 + 3000),
    });
  });

  it("filters by every outcome, and a filter for a refusal or failure reads the partial outcome index", async () => {
    const db = await temp.db();
    const repos = createRepositories(db, { secretKey: SECRET });
    const outcomes = ["ok", "error", "denied", "rate_limited", "timeout"] as const;
    await repos.commandHistory.appendMany(
      Array.from({ length: 20 }, (_, n) => call(n, { outcome: outcomes[n % outcomes.length] })),
    );
    for (const [index, outcome] of outcomes.entries()) {
      const page = await repos.commandHistory.query({ outcome, limit: 1000 });
      expect(page.items.map((item) => item.requestId)).toEqual([15, 10, 5, 0].map((n) => `r${n + index}`));
    }
    // The index holds no ok rows (migration 10): the query must repeat its condition for SQLite to use it.
    const plan = await db.client.execute(
      "EXPLAIN QUERY PLAN SELECT id FROM command_history WHERE outcome = 'error' AND outcome <> 'ok' ORDER BY at DESC",
    );
    expect(plan.rows.map((row) => String(row.detail)).join("\n")).toContain("command_history_outcome_at");
    const indexes = await db.client.execute(
      "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'command_history' ORDER BY name",
    );
    expect(indexes.rows.map((row) => String(row.name))).toEqual([
      "command_history_at",
      "command_history_key_at",
      "command_history_outcome_at",
      "command_history_server_at",
      "command_history_tool_at",
    ]);
    expect(String(indexes.rows.find((row) => row.name === "command_history_outcome_at")?.sql)).toContain(
      "WHERE outcome <> 'ok'",
    );
  });

  it("records each row's MCP method (tools/call unless given) and filters by it", async () => {
    const db = await temp.db();
    const repos = createRepositories(db, { secretKey: SECRET });
    await repos.commandHistory.appendMany([
      call(1),
      call(2, { method: "resources/read", server: "fs", tool: "file:///etc/motd" }),
      call(3, { method: "prompts/list", server: null, tool: null }),
    ]);
    const all = await repos.commandHistory.query();
    expect(all.items.map((i) => [i.requestId, i.method, i.tool])).toEqual([
      ["r3", "prompts/list", null],
      ["r2", "resources/read", "file:///etc/motd"],
      ["r1", "tools/call", "read_file"],
    ]);
    const reads = await repos.commandHistory.query({ method: "resources/read" });
    expect(reads.items.map((i) => i.requestId)).toEqual(["r2"]);
  });

  it("stores a name longer than 2,000 characters cut to 2,000 instead of refusing the row", async () => {
    const db = await temp.db();
    const repos = createRepositories(db, { secretKey: SECRET });
    await repos.commandHistory.appendMany([call(1, { tool: "x".repeat(5000) })]);
    const [row] = (await repos.commandHistory.query()).items;
    expect(row?.tool).toBe("x".repeat(2000));
  });

  it("pages through results with cursors without skipping or repeating rows that share a timestamp", async () => {
    const { commandHistory } = createRepositories(await temp.db(), { secretKey: SECRET });
    const sameTime = new Date(T0);
    await commandHistory.appendMany(Array.from({ length: 25 }, (_, n) => call(n, { at: sameTime })));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await commandHistory.query({ limit: 10, cursor });
      seen.push(...page.items.map((item) => item.requestId));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(25);
  });

  it("writes nothing when any entry in the batch is invalid, and names the entry", async () => {
    const { commandHistory } = createRepositories(await temp.db(), { secretKey: SECRET });
    const error = await rejectionOf(
      commandHistory.appendMany([call(1), { ...call(2), outcome: "exploded" } as unknown as AuditEntry]),
    );
    expect(InvalidInputError.isInstance(error)).toBe(true);
    expect(error.message).toContain("audit entry at index 1");
    expect(error.issues[0]?.path).toBe("outcome");
    expect((await commandHistory.query()).items).toEqual([]);
  });

  it("rejects a cursor it did not issue and an out-of-range limit", async () => {
    const { commandHistory } = createRepositories(await temp.db(), { secretKey: SECRET });
    const badCursor = await rejectionOf(commandHistory.query({ cursor: "not-a-cursor" }));
    expect(badCursor.code).toBe("INVALID_INPUT");
    expect(badCursor.message).toContain("nextCursor");
    const badLimit = await rejectionOf(commandHistory.query({ limit: 5000 }));
    expect(badLimit.issues[0]?.path).toBe("limit");
  });

  it("prunes rows older than a date", async () => {
    const { commandHistory } = createRepositories(await temp.db(), { secretKey: SECRET });
    await commandHistory.appendMany(Array.from({ length: 10 }, (_, n) => call(n)));
    expect(await commandHistory.prune(new Date(T0 + 4000))).toBe(4);
    expect((await commandHistory.query()).items).toHaveLength(6);
  });
});

describe("command history argument cap", () => {
  it("refuses a cap below 256 bytes, where the truncation marker would not fit", async () => {
    const db = await temp.db();
    expect(() => createRepositories(db, { secretKey: SECRET, maxArgumentBytes: 100 })).toThrow(
      "createCommandHistoryRepository: maxArgumentBytes must be a whole number >= 256 (an argument over it becomes a marker of about 50 bytes), got 100.",
    );
    expect(() => createRepositories(db, { secretKey: SECRET, maxArgumentBytes: 256 })).not.toThrow();
  });
});
