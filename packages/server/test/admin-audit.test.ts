import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, post, startGateway, type TestGateway } from "./helpers.js";

let t: TestGateway;
let admin: Record<string, string>;
let callerKeyId: string;

beforeAll(async () => {
  t = await startGateway();
  admin = { authorization: `Bearer ${await t.key(["admin"])}` };
  const created = await t.repos.apiKeys.create({ name: "caller", scopes: ["tools:call"] });
  callerKeyId = created.key.id;
  const caller = { authorization: `Bearer ${created.plaintext}` };
  for (const text of ["one", "two", "three"]) {
    expect(
      (await post(`${t.url}/mcp/execute`, { tool: "local__echo", arguments: { text } }, caller)).status,
    ).toBe(200);
  }
  await post(`${t.url}/mcp/execute`, { tool: "local__fail", arguments: { password: "hunter2" } }, caller);
});
afterAll(async () => {
  await t?.close();
});

const audit = (query: string) => get(`${t.url}/admin/audit${query}`, admin);

describe("GET /admin/audit", () => {
  it("filters by key, tool and outcome, newest first", async () => {
    const byKey = await audit(`?keyId=${callerKeyId}&method=tools/call`);
    expect(byKey.status).toBe(200);
    expect(byKey.body.items.map((i: { tool: string }) => i.tool)).toEqual(["fail", "echo", "echo", "echo"]);
    const failed = await audit(`?keyId=${callerKeyId}&outcome=error`);
    expect(failed.body.items).toHaveLength(1);
    expect(failed.body.items[0]).toMatchObject({ server: "local", tool: "fail", outcome: "error" });
    const none = await audit(`?keyId=${callerKeyId}&since=2000-01-01T00:00:00Z&until=2000-01-02T00:00:00Z`);
    expect(none.body.items).toEqual([]);
  });

  it("pages with a cursor without repeating rows", async () => {
    const first = await audit(`?keyId=${callerKeyId}&limit=3`);
    expect(first.body.items).toHaveLength(3);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await audit(
      `?keyId=${callerKeyId}&limit=3&cursor=${encodeURIComponent(first.body.nextCursor)}`,
    );
    expect(second.body.items).toHaveLength(1);
    expect(second.body.nextCursor).toBeNull();
    const ids = [...first.body.items, ...second.body.items].map((i: { id: number }) => i.id);
    expect(new Set(ids).size).toBe(4);
  });

  it("shows one row with its redacted arguments and error", async () => {
    const [failed] = (await audit(`?keyId=${callerKeyId}&outcome=error`)).body.items;
    const one = await audit(`/${failed.id}`);
    expect(one.status).toBe(200);
    expect(one.body.item.arguments).toEqual({ password: "[REDACTED]" });
    expect(one.body.item.error).toContain("the tool failed on purpose");
    expect(JSON.stringify(one.body)).not.toContain("hunter2");
  });

  it("answers an unknown row with 404 and a non-numeric id with 400", async () => {
    expect((await audit("/999999")).status).toBe(404);
    const bad = await audit("/abc");
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("give the numeric id of a row");
  });

  it("refuses a bad cursor, outcome, time, limit or unknown parameter with 400 naming the fix", async () => {
    const cursor = await audit("?cursor=nope");
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.message).toContain("pass back the nextCursor");
    const outcome = await audit("?outcome=maybe");
    expect(outcome.status).toBe(400);
    expect(outcome.body.error.message).toContain("outcome:");
    const since = await audit("?since=yesterday");
    expect(since.status).toBe(400);
    expect(since.body.error.message).toContain("since: give an ISO 8601 date-time");
    const limit = await audit("?limit=5000");
    expect(limit.body.error.message).toContain("limit must be between 1 and 1000");
    const unknown = await audit("?colour=red");
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain("unknown parameter(s) 'colour'");
    const twice = await audit("?tool=a&tool=b");
    expect(twice.body.error.message).toContain("give 'tool' once");
  });

  it("refuses the audit API to a key without the admin scope", async () => {
    const res = await get(`${t.url}/admin/audit`, { authorization: `Bearer ${await t.key()}` });
    expect(res.status).toBe(403);
  });
});

describe("refused keys in the audit", () => {
  it("audits a call with a revoked key as denied against that key, without the key", async () => {
    const created = await t.repos.apiKeys.create({ name: "soon-revoked", scopes: ["tools:call"] });
    await t.repos.apiKeys.revoke(created.key.id);
    const refused = await post(
      `${t.url}/mcp/execute`,
      { tool: "local__echo", arguments: { text: "after revoke" } },
      { authorization: `Bearer ${created.plaintext}` },
    );
    expect(refused.status).toBe(401);
    const rows = await audit(`?keyId=${created.key.id}&outcome=denied`);
    expect(rows.body.items).toHaveLength(1);
    // A REST call carries no JSON-RPC request: its refusal is one `authenticate` row (MCP bodies get one per request).
    expect(rows.body.items[0]).toMatchObject({
      method: "authenticate",
      outcome: "denied",
      error: expect.stringContaining("authentication failed (revoked)"),
    });
    expect(JSON.stringify(rows.body)).not.toContain(created.plaintext);
  });

  it("does not attribute an unknown key's refusal to any key", async () => {
    const before = (await audit("?outcome=denied&limit=1000")).body.items.length;
    const refused = await post(
      `${t.url}/mcp/execute`,
      { tool: "local__echo", arguments: {} },
      {
        authorization: "Bearer wg_0000000000000000000000000000000000000000",
      },
    );
    expect(refused.status).toBe(401);
    expect((await audit("?outcome=denied&limit=1000")).body.items.length).toBe(before);
  });
});

describe("audit export", () => {
  it("exports the current filter as JSON Lines, every row, as an attachment", async () => {
    const res = await fetch(`${t.url}/admin/audit?keyId=${callerKeyId}&since=1h&format=jsonl`, {
      headers: admin,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/x-ndjson");
    expect(res.headers.get("content-disposition")).toMatch(
      /^attachment; filename="waygate-audit-.*\.jsonl"$/,
    );
    const lines = (await res.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines.map((l) => l.tool)).toEqual(["fail", "echo", "echo", "echo"]);
  });

  it("exports CSV with a header, quoting, and formula cells neutralised", async () => {
    await t.repos.commandHistory.appendMany([
      {
        requestId: "csv-1",
        keyId: callerKeyId,
        server: "local",
        tool: '=HYPERLINK("x")',
        outcome: "error",
        error: 'broke, "badly"',
        durationMs: 3,
      },
    ]);
    const res = await fetch(`${t.url}/admin/audit?requestId=csv-1&since=1h&format=csv`, { headers: admin });
    expect(res.headers.get("content-type")).toContain("text/csv");
    const [header, row] = (await res.text()).split("\r\n");
    expect(header).toBe(
      "id,at,requestId,method,keyId,server,tool,transport,outcome,durationMs,error,arguments",
    );
    expect(row).toContain(`,"'=HYPERLINK(""x"")",`);
    expect(row).toContain(`,"broke, ""badly""",`);
  });

  it("refuses an export without since (unbounded) and an unknown format with 400", async () => {
    const unbounded = await audit("?format=csv");
    expect(unbounded.status).toBe(400);
    expect(unbounded.body.error.message).toContain("bound it with since");
    const format = await audit("?format=xml&since=1h");
    expect(format.status).toBe(400);
    expect(format.body.error.message).toContain("format:");
  });
});

describe("GET /admin/audit/stats", () => {
  it("returns every step of the range with calls, errors and percentiles, and per server", async () => {
    const res = await audit("/stats?since=1h&step=5m");
    expect(res.status).toBe(200);
    expect(res.body.stepMs).toBe(300_000);
    expect(res.body.buckets).toHaveLength(12);
    const calls = res.body.buckets.reduce((n: number, b: { calls: number }) => n + b.calls, 0);
    const errors = res.body.buckets.reduce((n: number, b: { errors: number }) => n + b.errors, 0);
    expect(calls).toBeGreaterThanOrEqual(4);
    expect(errors).toBeGreaterThanOrEqual(1);
    const local = res.body.servers.find((s: { server: string }) => s.server === "local");
    expect(local.buckets.reduce((n: number, b: { calls: number }) => n + b.calls, 0)).toBeGreaterThanOrEqual(
      4,
    );
  });

  it("refuses an unbounded range, a bad step and too many steps with 400 naming the fix", async () => {
    const unbounded = await audit("/stats");
    expect(unbounded.status).toBe(400);
    expect(unbounded.body.error.message).toContain("give since");
    const step = await audit("/stats?since=1h&step=often");
    expect(step.status).toBe(400);
    expect(step.body.error.message).toContain("step: give seconds (60) or a duration");
    const many = await audit("/stats?since=30d&step=1m");
    expect(many.status).toBe(400);
    expect(many.body.error.message).toContain("use a larger step or a shorter range");
  });
});

describe("GET /admin/events", () => {
  it("lists system events filtered by type and level, paged", async () => {
    await t.repos.systemEvents.record({ level: "warn", type: "test.one", message: "first" });
    await t.repos.systemEvents.record({ level: "warn", type: "test.one", message: "second" });
    await t.repos.systemEvents.record({ level: "error", type: "test.two", message: "third" });
    const byType = await get(`${t.url}/admin/events?type=test.one&limit=1`, admin);
    expect(byType.status).toBe(200);
    expect(byType.body.items.map((e: { message: string }) => e.message)).toEqual(["second"]);
    const next = await get(
      `${t.url}/admin/events?type=test.one&limit=1&cursor=${encodeURIComponent(byType.body.nextCursor)}`,
      admin,
    );
    expect(next.body.items.map((e: { message: string }) => e.message)).toEqual(["first"]);
    const errors = await get(`${t.url}/admin/events?level=error&type=test.two`, admin);
    expect(errors.body.items).toHaveLength(1);
  });

  it("refuses a bad level or cursor with 400", async () => {
    const level = await get(`${t.url}/admin/events?level=loud`, admin);
    expect(level.status).toBe(400);
    expect(level.body.error.message).toContain("level:");
    const cursor = await get(`${t.url}/admin/events?cursor=zzz`, admin);
    expect(cursor.status).toBe(400);
  });
});

describe("GET /admin/events/:id", () => {
  it("shows one event with its details redacted as stored", async () => {
    const recorded = await t.repos.systemEvents.record({
      level: "error",
      type: "test.detail",
      message: "upstream crashed",
      details: { server: "github", env: { GITHUB_TOKEN: "ghp_secret_value" }, code: 1 },
    });
    const one = await get(`${t.url}/admin/events/${recorded.id}`, admin);
    expect(one.status).toBe(200);
    expect(one.body.item).toEqual({
      id: recorded.id,
      level: "error",
      type: "test.detail",
      message: "upstream crashed",
      details: { server: "github", env: { GITHUB_TOKEN: "[REDACTED]" }, code: 1 },
      at: recorded.at.toISOString(),
    });
    expect(JSON.stringify(one.body)).not.toContain("ghp_secret_value");
  });

  it("answers an unknown event with 404 and a non-numeric id with 400 naming the fix", async () => {
    const missing = await get(`${t.url}/admin/events/999999`, admin);
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe("No system event with id 999999");
    const bad = await get(`${t.url}/admin/events/latest`, admin);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("give the numeric id of an event from /admin/events");
  });

  it("refuses a caller without the admin scope", async () => {
    const reader = { authorization: `Bearer ${await t.key(["tools:list"])}` };
    expect((await get(`${t.url}/admin/events/1`, reader)).status).toBe(403);
  });
});
