import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRepositories, openDatabase, type WaygateDatabase } from "@waygate/core";
import { definePlugin, tool } from "@waygate/plugin-sdk";
import { afterEach, describe, expect, it } from "vitest";
import { createGateway, createLogger, type Gateway } from "../src/index.js";
import { connectClient, get, post, SECRET_KEY } from "./helpers.js";

const BUSY_TIMEOUT_MS = 150;

/** A tool with a side effect the test can count: every run bumps `runs`. */
function counterPlugin() {
  const state = { runs: 0 };
  const plugin = definePlugin({
    name: "counter",
    version: "1.0.0",
    tools: {
      bump: tool({
        description: "Adds one to a counter (a stand-in for a tool with side effects)",
        input: {},
        handler: () => {
          state.runs++;
          return { content: [{ type: "text", text: `runs=${state.runs}` }] };
        },
      }),
    },
  });
  return { plugin, state };
}

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), "waygate-audit-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "waygate.db");
  const db: WaygateDatabase = await openDatabase({ url: `file:${file}`, busyTimeoutMs: BUSY_TIMEOUT_MS });
  cleanups.push(() => db.close());
  const { plugin, state } = counterPlugin();
  const gateway: Gateway = await createGateway({
    database: db,
    secretKey: SECRET_KEY,
    env: "test",
    logger: createLogger({ silent: true }),
    plugins: [plugin],
    collectDefaultMetrics: false,
  });
  cleanups.push(() => gateway.close({ deadlineMs: 2000 }));
  const { url } = await gateway.listen({ host: "127.0.0.1", port: 0 });
  await gateway.ready();
  const repos = createRepositories(db, { secretKey: SECRET_KEY });
  const mint = async () =>
    (await repos.apiKeys.create({ name: "caller", scopes: ["tools:call", "tools:list", "metrics:read"] }))
      .plaintext;
  const key = await mint();
  const auth = { authorization: `Bearer ${key}` };
  const call = () => post(`${url}/mcp/execute`, { tool: "counter__bump", arguments: {} }, auth);
  // The first call writes the key's last use, so while the lock is held only the audit row needs a write.
  expect((await call()).status).toBe(200);

  /** Holds the write lock from a second connection, as another process would; returns its release. */
  async function holdWriteLock() {
    const locker = await openDatabase({ url: `file:${file}` });
    const tx = await locker.client.transaction("write");
    await tx.execute(
      "INSERT INTO system_events (level, type, message, at) VALUES ('info', 'lock', 'held', 0)",
    );
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      await tx.rollback();
      tx.close();
      locker.close();
    };
    cleanups.push(release);
    return release;
  }
  const auditCount = async () =>
    Number((await db.client.execute("SELECT count(*) AS n FROM command_history")).rows[0]?.n);
  return { url, key, auth, call, state, db, file, mint, holdWriteLock, auditCount };
}

describe("tool calls fail closed when the audit cannot be written", () => {
  it("withholds a REST result whose audit row cannot be committed (503 audit_unavailable), refuses the next call before the tool runs, and resumes after the lock is released", async () => {
    const t = await setup();
    const release = await t.holdWriteLock();

    const withheld = await t.call();
    expect(withheld.status).toBe(503);
    expect(withheld.body.result).toBeUndefined();
    expect(withheld.body.error.code).toBe("audit_unavailable");
    expect(withheld.body.error.message).toContain("result was withheld");
    expect(withheld.body.error.message).toContain(t.file);
    expect(withheld.body.error.message).toMatch(/locked/);
    expect(t.state.runs).toBe(2);

    const refused = await t.call();
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe("audit_unavailable");
    expect(refused.body.error.message).toContain("refused before it ran");
    expect(t.state.runs).toBe(2);

    await release();
    const resumed = await t.call();
    expect(resumed.status).toBe(200);
    expect(resumed.body.result.content[0].text).toBe("runs=3");
    // The warm-up and the resumed call are audited; the withheld one could not be.
    expect(await t.auditCount()).toBe(2);
    const recovered = await t.db.client.execute(
      "SELECT count(*) AS n FROM system_events WHERE type = 'audit.recovered'",
    );
    expect(Number(recovered.rows[0]?.n)).toBe(1);

    const metrics = String((await get(`${t.url}/metrics`, t.auth)).body);
    expect(metrics).toContain('waygate_audit_unavailable_total{stage="withheld"} 1');
    expect(metrics).toContain('waygate_audit_unavailable_total{stage="refused"} 1');
  });

  it("answers an MCP tools/call whose audit row cannot be committed with a JSON-RPC error, not the result", async () => {
    const t = await setup();
    const client = await connectClient(`${t.url}/mcp`, t.key);
    cleanups.push(() => client.close());
    const release = await t.holdWriteLock();
    const error = await client.callTool({ name: "counter__bump", arguments: {} }).then(
      () => undefined,
      (thrown: unknown) => thrown as { code?: number; message?: string },
    );
    expect(error?.code).toBe(-32010);
    expect(error?.message).toContain("could not be audited");
    await release();
    const ok = await client.callTool({ name: "counter__bump", arguments: {} });
    expect(ok.content).toEqual([{ type: "text", text: `runs=${t.state.runs}` }]);
  });

  it("keeps answering while the audit writes, with no audit entry in /health", async () => {
    const t = await setup();
    const health = await get(`${t.url}/health`, t.auth);
    expect(health.status).toBe(200);
    expect(health.body.audit).toEqual({ ok: true });
    expect(health.body.database.ok).toBe(true);
  });
});

describe("/health and the database", () => {
  it("answers 503 naming the lock while another process holds the write lock, and 200 again once released", async () => {
    const t = await setup();
    const release = await t.holdWriteLock();
    const locked = await get(`${t.url}/health`, t.auth);
    expect(locked.status).toBe(503);
    expect(locked.body.status).toBe("down");
    expect(locked.body.database.ok).toBe(false);
    expect(locked.body.database.error).toContain(t.file);
    expect(locked.body.database.error).toMatch(/locked by another connection or process/);
    await release();
    expect((await get(`${t.url}/health`, t.auth)).status).toBe(200);
  });

  it("reports a failed audit write as a database problem until a write commits again", async () => {
    const t = await setup();
    const release = await t.holdWriteLock();
    expect((await t.call()).status).toBe(503);
    const during = await get(`${t.url}/health`, t.auth);
    expect(during.status).toBe(503);
    expect(during.body.audit.ok).toBe(false);
    expect(during.body.audit.error).toMatch(/locked/);
    expect(typeof during.body.audit.since).toBe("string");
    await release();
    const after = await get(`${t.url}/health`, t.auth);
    expect(after.body.database).toMatchObject({ ok: true });
    expect(after.status).toBe(200);
    expect(after.body.audit).toEqual({ ok: true });
  });
});

describe("database errors reach the caller as database errors", () => {
  it("answers 503 database_unavailable naming the database when the key's last-use write meets a lock", async () => {
    const t = await setup();
    const fresh = await t.mint();
    const release = await t.holdWriteLock();
    const res = await post(
      `${t.url}/mcp/execute`,
      { tool: "counter__bump", arguments: {} },
      { authorization: `Bearer ${fresh}` },
    );
    await release();
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe("database_unavailable");
    expect(res.body.error.message).toContain(t.file);
    expect(res.body.error.message).toMatch(/locked/);
  });
});
