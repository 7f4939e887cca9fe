import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chainKeyOf, chainLink, GENESIS_CHAIN } from "../src/audit/audit-chain.js";
import type { AuditRow } from "../src/audit/audit-entry.js";
import {
  ANCHOR_EVENT_TYPE,
  type AuditEntry,
  createAuditWriter,
  createDatabase,
  createRepositories,
  migrate,
  openDatabase,
  SchemaTooOldError,
  verifyAuditChain,
  type WaygateDatabase,
} from "../src/index.js";
import { runMigrations } from "../src/migrate.js";
import { migrations } from "../src/migrations/index.js";
import { SECRET, useTempDirs } from "./helpers.js";

const temp = useTempDirs();
const T0 = Date.parse("2026-06-01T00:00:00Z");

const entry = (n: number, extra: Partial<AuditEntry> = {}): AuditEntry => ({
  requestId: `req-${n}`,
  method: n % 3 === 0 ? "resources/read" : "tools/call",
  keyId: null,
  server: "s",
  tool: `t${n}`,
  arguments: { n },
  outcome: "ok",
  durationMs: n + 0.25,
  at: new Date(T0 + n * 1000),
  ...extra,
});

/** A migrated database holding `count` rows written by the audit writer with the test secret. */
async function chainedDb(count = 10): Promise<WaygateDatabase> {
  const db = await temp.db();
  const writer = createAuditWriter(db, { secretKey: SECRET });
  await Promise.all(Array.from({ length: count }, (_, i) => writer.record(entry(i + 1))));
  await writer.close();
  return db;
}

const sql = (db: WaygateDatabase, text: string) => db.client.execute(text);

describe("the audit chain", () => {
  it("chains every row the writer and appendMany commit, and verifies them", async () => {
    const db = await chainedDb(10);
    const repos = createRepositories(db, { secretKey: SECRET });
    await repos.commandHistory.appendMany([entry(11), entry(12)]);
    const report = await verifyAuditChain(db, { secretKey: SECRET });
    expect(report).toMatchObject({ ok: true, verified: 12, unchained: 0, head: { id: 12 } });
    const chains = (await sql(db, "SELECT chain FROM command_history")).rows.map((r) => r.chain);
    expect(new Set(chains).size).toBe(12);
    expect(chains.every((c) => typeof c === "string" && /^[0-9a-f]{64}$/.test(c))).toBe(true);
  });

  it("writes a batch of any size in order as multi-row INSERTs, and chains it as one row at a time would", async () => {
    for (const count of [1, 63, 64, 65, 127, 131]) {
      const db = await temp.db();
      const repos = createRepositories(db, { secretKey: SECRET });
      await repos.commandHistory.appendMany(Array.from({ length: count }, (_, i) => entry(i + 1)));
      const rows = (await sql(db, "SELECT id, request_id, chain FROM command_history ORDER BY id")).rows;
      expect(rows.map((r) => [Number(r.id), r.request_id])).toEqual(
        Array.from({ length: count }, (_, i) => [i + 1, `req-${i + 1}`]),
      );
      expect(await verifyAuditChain(db, { secretKey: SECRET })).toMatchObject({ ok: true, verified: count });
      db.close();
    }
  });

  it("anchors the chain head in system_events on the first commit and then at the interval", async () => {
    const db = await temp.db();
    let now = T0;
    const writer = createAuditWriter(db, { secretKey: SECRET, anchorEveryMs: 60_000, clock: () => now });
    await writer.record(entry(1));
    await writer.record(entry(2));
    now += 60_000;
    await writer.record(entry(3));
    await writer.close();
    const anchors = await sql(
      db,
      `SELECT details FROM system_events WHERE type = '${ANCHOR_EVENT_TYPE}' ORDER BY id`,
    );
    const details = anchors.rows.map((r) => JSON.parse(String(r.details)));
    expect(details.map((d) => d.id)).toEqual([1, 3]);
    const head = await sql(db, "SELECT chain FROM command_history WHERE id = 3");
    expect(details[1].chain).toBe(head.rows[0]?.chain);
    expect(details[1].keyId).toBe(chainKeyOf(SECRET).id);
  });

  it("keeps one chain when two writers on separate connections commit at the same time", async () => {
    const db = await temp.db();
    const other = temp.track(await openDatabase({ url: db.url }));
    const a = createAuditWriter(db, { secretKey: SECRET });
    const b = createAuditWriter(other, { secretKey: SECRET });
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        (i % 2 === 0 ? a : b).record(entry(i + 1, { requestId: `w${i}` })),
      ),
    );
    await Promise.all([a.close(), b.close()]);
    expect(await verifyAuditChain(db, { secretKey: SECRET })).toMatchObject({ ok: true, verified: 60 });
  });
});

describe("the OAuth principal of a row", () => {
  it("stores the subject and client id, reads them back and chains them", async () => {
    const db = await temp.db();
    const writer = createAuditWriter(db, { secretKey: SECRET });
    await writer.record(entry(1));
    await writer.record(entry(2, { principal: { subject: "alice", clientId: "claude" } }));
    await writer.close();
    const page = await createRepositories(db, { secretKey: SECRET }).commandHistory.query({});
    expect(page.items.map((row) => [row.requestId, row.principal])).toEqual([
      ["req-2", { subject: "alice", clientId: "claude" }],
      ["req-1", null],
    ]);
    expect(await verifyAuditChain(db, { secretKey: SECRET })).toMatchObject({ ok: true, verified: 2 });
  });

  it("detects a principal edited, or added to a row that had none", async () => {
    const db = await temp.db();
    const writer = createAuditWriter(db, { secretKey: SECRET });
    await writer.record(entry(1));
    await writer.record(entry(2, { principal: { subject: "alice", clientId: null } }));
    await writer.close();
    await sql(
      db,
      `UPDATE command_history SET principal = '{"subject":"mallory","clientId":null}' WHERE id = 2`,
    );
    expect(await verifyAuditChain(db, { secretKey: SECRET })).toMatchObject({
      ok: false,
      problem: { kind: "edited", id: 2 },
    });
    await sql(
      db,
      `UPDATE command_history SET principal = '{"subject":"alice","clientId":null}' WHERE id = 2`,
    );
    await sql(
      db,
      `UPDATE command_history SET principal = '{"subject":"mallory","clientId":null}' WHERE id = 1`,
    );
    expect(await verifyAuditChain(db, { secretKey: SECRET })).toMatchObject({
      ok: false,
      problem: { kind: "edited", id: 1 },
    });
  });
});

describe("audit verify names the first changed row", () => {
  it("an edited row", async () => {
    const db = await chainedDb();
    await sql(db, "UPDATE command_history SET outcome = 'denied' WHERE id = 5");
    expect(await verifyAuditChain(db, { secretKey: SECRET })).toMatchObject({
      ok: false,
      verified: 4,
      problem: { kind: "edited", id: 5, message: expect.stringContaining("Row 5 was edited") },
    });
  });

  it("a deleted row", async () => {
    const db = await chainedDb();
    await sql(db, "DELETE FROM command_history WHERE id = 7");
    expect((await verifyAuditChain(db, { secretKey: SECRET })).problem).toMatchObject({
      kind: "deleted",
      id: 8,
      message: "Rows 7 to 7 are missing: they were deleted.",
    });
  });

  it("deleted rows at the end, behind an anchor", async () => {
    const db = await chainedDb();
    const head = (await sql(db, "SELECT chain FROM command_history WHERE id = 10")).rows[0]?.chain;
    await sql(
      db,
      `INSERT INTO system_events (level, type, message, details, at) VALUES ('info', '${ANCHOR_EVENT_TYPE}', 'a', '${JSON.stringify({ id: 10, chain: head, keyId: chainKeyOf(SECRET).id })}', 0)`,
    );
    await sql(db, "DELETE FROM command_history WHERE id >= 9");
    expect((await verifyAuditChain(db, { secretKey: SECRET })).problem).toMatchObject({
      kind: "deleted",
      id: 9,
    });
  });

  it("an inserted row", async () => {
    const db = await chainedDb();
    await sql(
      db,
      `INSERT INTO command_history (id, request_id, method, transport, outcome, duration_ms, at, chain)
       VALUES (0, 'forged', 'tools/call', 'mcp', 'ok', 1, 0, '${"ab".repeat(32)}')`,
    );
    expect((await verifyAuditChain(db, { secretKey: SECRET })).problem).toMatchObject({
      kind: "inserted",
      id: 0,
    });
  });

  it("a row without a chain value among chained ones", async () => {
    const db = await chainedDb();
    await sql(
      db,
      `INSERT INTO command_history (id, request_id, method, transport, outcome, duration_ms, at)
       VALUES (11, 'forged', 'tools/call', 'mcp', 'ok', 1, 0)`,
    );
    expect((await verifyAuditChain(db, { secretKey: SECRET })).problem).toMatchObject({
      kind: "inserted",
      id: 11,
    });
  });

  it("reordered rows", async () => {
    const db = await chainedDb();
    await sql(db, "UPDATE command_history SET id = 100 WHERE id = 4");
    await sql(db, "UPDATE command_history SET id = 4 WHERE id = 5");
    await sql(db, "UPDATE command_history SET id = 5 WHERE id = 100");
    expect((await verifyAuditChain(db, { secretKey: SECRET })).problem).toMatchObject({
      kind: "reordered",
      id: 4,
      message: "Row 4 is out of order: it was written after row 5.",
    });
  });

  it("an edit whose chain was recomputed without the secret key", async () => {
    const db = await chainedDb(6);
    await sql(db, "UPDATE command_history SET outcome = 'error' WHERE id = 3");
    // The attacker rebuilds every chain value from row 3 on, but can only use a key they know.
    const forger = chainKeyOf(undefined);
    const rows = await sql(
      db,
      "SELECT id, request_id, method, key_id, server, tool, transport, arguments, outcome, error, duration_ms, at, principal, chain FROM command_history ORDER BY id",
    );
    let previous = String(rows.rows[1]?.chain);
    for (const r of rows.rows.slice(2)) {
      const row = [
        r.request_id,
        r.method,
        r.key_id,
        r.server,
        r.tool,
        r.transport,
        r.arguments,
        r.outcome,
        r.error,
        r.duration_ms,
        r.at,
        r.principal,
      ] as AuditRow;
      previous = chainLink(forger, previous, row);
      await db.client.execute({
        sql: "UPDATE command_history SET chain = ? WHERE id = ?",
        args: [previous, Number(r.id)],
      });
    }
    expect((await verifyAuditChain(db, { secretKey: SECRET })).problem).toMatchObject({
      kind: "edited",
      id: 3,
    });
  });

  it("says so when the chain was written with another WAYGATE_SECRET_KEY", async () => {
    const db = await chainedDb(3);
    const report = await verifyAuditChain(db, { secretKey: `${SECRET}-other` });
    expect(report.problem).toMatchObject({
      kind: "key",
      id: 1,
      message: expect.stringContaining("another key"),
    });
  });
});

describe("retention and older databases", () => {
  it("prunes a prefix behind an anchor; what is left still verifies, and fails once the anchor is gone", async () => {
    const db = await chainedDb(10);
    const repos = createRepositories(db, { secretKey: SECRET });
    expect(await repos.commandHistory.prune(new Date(T0 + 6000))).toBe(5);
    const report = await verifyAuditChain(db, { secretKey: SECRET });
    expect(report).toMatchObject({ ok: true, verified: 5, startedFrom: { id: 5, pruned: 5 } });
    // New rows keep chaining after the pruned ones.
    await repos.commandHistory.appendMany([entry(11)]);
    expect(await verifyAuditChain(db, { secretKey: SECRET })).toMatchObject({ ok: true, verified: 6 });

    await sql(
      db,
      `DELETE FROM system_events WHERE type = '${ANCHOR_EVENT_TYPE}' AND details LIKE '%"pruned"%'`,
    );
    expect((await verifyAuditChain(db, { secretKey: SECRET })).problem).toMatchObject({
      kind: "deleted",
      id: 6,
      message: "Rows before 6 are missing and no retention anchor covers them: they were deleted.",
    });
  });

  it("continues the chain from the retention anchor when every row was pruned", async () => {
    const db = await chainedDb(4);
    const repos = createRepositories(db, { secretKey: SECRET });
    expect(await repos.commandHistory.prune(new Date(T0 + 60_000))).toBe(4);
    await repos.commandHistory.appendMany([entry(20)]);
    const ids = (await sql(db, "SELECT id FROM command_history")).rows.map((r) => r.id);
    expect(ids).toEqual([5]);
    expect(await verifyAuditChain(db, { secretKey: SECRET })).toMatchObject({ ok: true, verified: 1 });
  });

  it("counts rows written before the chain existed and chains the rows after them", async () => {
    const db = temp.track(await createDatabase({ url: `file:${join(temp.dir(), "v2.db")}` }));
    await runMigrations(db, migrations.slice(0, 2));
    await sql(
      db,
      "INSERT INTO command_history (request_id, method, transport, outcome, duration_ms, at) VALUES ('old', 'tools/call', 'mcp', 'ok', 1, 0)",
    );
    await expect(verifyAuditChain(db, { secretKey: SECRET })).rejects.toSatisfy(
      (error: unknown) =>
        SchemaTooOldError.isInstance(error) &&
        (error as Error).message.includes("needs migration 3 (audit-chain)") &&
        (error as Error).message.includes("waygate migrate"),
    );
    await migrate(db);
    const writer = createAuditWriter(db, { secretKey: SECRET });
    await writer.record(entry(1));
    await writer.close();
    expect(await verifyAuditChain(db, { secretKey: SECRET })).toMatchObject({
      ok: true,
      verified: 1,
      unchained: 1,
    });
    const first = await sql(db, "SELECT chain FROM command_history WHERE id = 2");
    expect(first.rows[0]?.chain).not.toBe(GENESIS_CHAIN);
  });
});
