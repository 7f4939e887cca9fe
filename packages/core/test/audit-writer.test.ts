import { createClient } from "@libsql/client";
import { describe, expect, it } from "vitest";
import {
  type AuditEntry,
  AuditWriteError,
  AuditWriterClosedError,
  createAuditWriter,
  createDatabase,
  createRepositories,
  DatabaseLockedError,
  InvalidInputError,
  type WaygateDatabase,
  type WriteConnection,
} from "../src/index.js";
import { DIST_ENTRY, runNodeScript, SECRET, useTempDirs } from "./helpers.js";

const temp = useTempDirs();

function entry(n: number, extra: Partial<AuditEntry> = {}): AuditEntry {
  return {
    requestId: `req-${n}`,
    keyId: null,
    server: "s",
    tool: "t",
    outcome: "ok",
    durationMs: 1,
    ...extra,
  };
}

const isAuditInsert = (statement: unknown) =>
  String((statement as { sql?: unknown }).sql ?? statement).startsWith("INSERT INTO command_history");
/** Rows an audit INSERT writes: it binds the 14 columns of each row (a batch is written as multi-row INSERTs). */
const rowsOf = (statement: unknown) => {
  const args = (statement as { args?: unknown }).args;
  return Array.isArray(args) ? args.length / 14 : 0;
};

/**
 * The real database, with each write transaction's audit rows counted and its batch optionally slowed to keep a
 * commit in flight. Without a write connection the writer commits through this client: the dedicated connection
 * commits synchronously, so nothing can arrive during its commit and it cannot be slowed.
 */
function countingBatches(db: WaygateDatabase, delayMs = 0) {
  const sizes: number[] = [];
  const client = new Proxy(db.client, {
    get(target, prop, receiver) {
      if (prop !== "transaction") return Reflect.get(target, prop, receiver);
      return async (...args: Parameters<typeof target.transaction>) => {
        const tx = await target.transaction(...args);
        return new Proxy(tx, {
          get(inner, name) {
            const value = Reflect.get(inner, name, inner);
            if (name !== "batch") return typeof value === "function" ? value.bind(inner) : value;
            return async (statements: Parameters<typeof inner.batch>[0]) => {
              sizes.push(
                statements.filter(isAuditInsert).reduce((sum, statement) => sum + rowsOf(statement), 0),
              );
              if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
              return inner.batch(statements);
            };
          },
        });
      };
    },
  });
  return { db: { ...db, client, openWriteConnection: () => undefined } as WaygateDatabase, sizes };
}

async function rowCount(db: WaygateDatabase): Promise<number> {
  return Number((await db.client.execute("SELECT count(*) FROM command_history")).rows[0]?.[0]);
}

describe("AuditWriter.record", () => {
  it("resolves only once the row is committed and visible to another connection", async () => {
    const db = await temp.db();
    const other = temp.track(await createDatabase({ url: db.url }));
    const writer = createAuditWriter(db);
    await writer.record(
      entry(1, { transport: "rest", arguments: { q: "hello" }, outcome: "error", error: "boom" }),
    );
    const rows = await other.client.execute("SELECT * FROM command_history");
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0]).toMatchObject({
      request_id: "req-1",
      transport: "rest",
      arguments: '{"q":"hello"}',
      outcome: "error",
      error: "boom",
    });
    await writer.close();
  });

  it("commits records that arrive while a commit is in flight together in the next transaction", async () => {
    const real = await temp.db();
    const { db, sizes } = countingBatches(real, 60);
    const writer = createAuditWriter(db);
    const first = writer.record(entry(0));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const rest = Array.from({ length: 50 }, (_, i) => writer.record(entry(i + 1)));
    await Promise.all([first, ...rest]);
    expect(sizes).toHaveLength(2); // two transactions: the first row alone, then the fifty that queued behind it
    expect(await rowCount(real)).toBe(51);
    await writer.close();
  });

  it("pushes back when the queue is full instead of growing without bound, and loses nothing", async () => {
    const real = await temp.db();
    const { db } = countingBatches(real, 20);
    const writer = createAuditWriter(db, { maxQueue: 10, maxBatch: 5 });
    let maxDepth = 0;
    const probe = setInterval(() => {
      maxDepth = Math.max(maxDepth, writer.depth);
    }, 1);
    const pending = Array.from({ length: 40 }, (_, i) => writer.record(entry(i)));
    maxDepth = Math.max(maxDepth, writer.depth);
    expect(writer.depth).toBe(10);
    await Promise.all(pending);
    clearInterval(probe);
    expect(maxDepth).toBe(10);
    expect(writer.depth).toBe(0);
    expect(await rowCount(real)).toBe(40);
    const ids = (await real.client.execute("SELECT request_id FROM command_history ORDER BY id")).rows;
    expect(ids.map((row) => row.request_id)).toEqual(Array.from({ length: 40 }, (_, i) => `req-${i}`));
    await writer.close();
  });

  it("rejects an invalid entry naming the bad fields, and writes nothing", async () => {
    const db = await temp.db();
    const writer = createAuditWriter(db);
    const error = await writer
      .record({ requestId: "", outcome: "maybe", durationMs: -1 } as unknown as AuditEntry)
      .catch((e) => e);
    expect(InvalidInputError.isInstance(error)).toBe(true);
    expect(error.issues.map((issue: { path: string }) => issue.path).sort()).toEqual(
      ["durationMs", "keyId", "outcome", "requestId", "server", "tool"].sort(),
    );
    await writer.flush();
    expect(await rowCount(db)).toBe(0);
  });

  it("fails only the row that violates a constraint; its batch-mates are committed and flush reports the failure", async () => {
    const db = await temp.db();
    const { apiKeys } = createRepositories(db, { secretKey: SECRET });
    const { key } = await apiKeys.create({ name: "k", scopes: [] });
    const writer = createAuditWriter(db);
    const good1 = writer.record(entry(1, { keyId: key.id }));
    const bad = writer.record(entry(2, { keyId: "no-such-key" }));
    const good2 = writer.record(entry(3));
    const flushed = writer.flush().catch((e) => e);
    await expect(good1).resolves.toBeUndefined();
    await expect(good2).resolves.toBeUndefined();
    const error = await bad.catch((e) => e);
    expect(error.message).toMatch(/FOREIGN KEY/);
    const flushError = await flushed;
    expect(AuditWriteError.isInstance(flushError)).toBe(true);
    expect(flushError).toMatchObject({ code: "AUDIT_WRITE_FAILED", failed: 1 });
    expect(await rowCount(db)).toBe(2);
  });

  it("retries a batch while another process holds the write lock, and commits it once the lock is gone", async () => {
    const dir = temp.dir();
    const db = temp.track(await createDatabase({ url: `file:${dir}/locked.db`, busyTimeoutMs: 100 }));
    const { migrate } = await import("../src/index.js");
    await migrate(db);
    const other = createClient({ url: `file:${dir}/locked.db` });
    const lock = await other.transaction("write");
    await lock.execute("INSERT INTO config (key, value, type, updated_at) VALUES ('x', '1', 'number', 0)");
    const writer = createAuditWriter(db, { lockRetries: 3 });
    const recorded = writer.record(entry(1));
    setTimeout(() => {
      void lock.rollback().then(() => other.close());
    }, 150);
    await expect(recorded).resolves.toBeUndefined();
    expect(await rowCount(db)).toBe(1);
    await writer.close();
  });
});

/** The real database, with the write connections it hands out kept and each of their batches counted. */
function watchedWriteConnections(db: WaygateDatabase) {
  const opened: WriteConnection[] = [];
  const batches: number[] = [];
  const openWriteConnection = () => {
    const connection = db.openWriteConnection()!;
    opened.push(connection);
    const watched: WriteConnection = {
      batch: (statements) => connection.batch(statements),
      transaction(work) {
        let rows = 0;
        const result = connection.transaction((tx) =>
          work({
            get: (sql, args) => tx.get(sql, args),
            run(statement) {
              if (isAuditInsert(statement)) rows += rowsOf(statement);
              tx.run(statement);
            },
          }),
        );
        batches.push(rows);
        return result;
      },
      close: () => connection.close(),
      get closed() {
        return connection.closed;
      },
    };
    return watched;
  };
  return { db: { ...db, openWriteConnection } as WaygateDatabase, opened, batches };
}

describe("AuditWriter on a local file", () => {
  it("commits through one write connection, rows that queued together in one transaction, readable by the client", async () => {
    const real = await temp.db();
    const { db, opened, batches } = watchedWriteConnections(real);
    const writer = createAuditWriter(db);
    await Promise.all(Array.from({ length: 50 }, (_, i) => writer.record(entry(i))));
    await writer.record(entry(50));
    expect(opened).toHaveLength(1);
    expect(batches).toEqual([50, 1]);
    expect(await rowCount(real)).toBe(51);
    await writer.close();
  });

  it("closes its write connection on close(), after writing what it had accepted", async () => {
    const real = await temp.db();
    const { db, opened } = watchedWriteConnections(real);
    const writer = createAuditWriter(db);
    void writer.record(entry(1));
    await writer.close();
    expect(opened[0]?.closed).toBe(true);
    expect(await rowCount(real)).toBe(1);
  });

  it("rejects with a clear error when the database was closed first", async () => {
    const db = await temp.db();
    const writer = createAuditWriter(db);
    await writer.record(entry(1));
    db.close();
    const error = await writer.record(entry(2)).catch((e) => e);
    expect(error.code).toBe("DATABASE_ERROR");
    expect(error.message).toBe(`The database ${db.url} is closed.`);
    await writer.close().catch(() => undefined);
  });

  it("rejects with DatabaseLockedError once the lock outlasts the retries, and writes again after it is released", async () => {
    const dir = temp.dir();
    const url = `file:${dir}/locked.db`;
    const db = temp.track(await createDatabase({ url, busyTimeoutMs: 50 }));
    const { migrate } = await import("../src/index.js");
    await migrate(db);
    const writer = createAuditWriter(db, { lockRetries: 0 });
    await writer.record(entry(0));
    const other = createClient({ url });
    const lock = await other.transaction("write");
    await lock.execute("INSERT INTO config (key, value, type, updated_at) VALUES ('x', '1', 'number', 0)");
    const error = await writer.record(entry(1)).catch((e) => e);
    await lock.rollback();
    other.close();
    expect(DatabaseLockedError.isInstance(error)).toBe(true);
    expect(error.message).toContain("locked.db (while writing audit rows)");
    await writer.record(entry(2));
    const ids = (await db.client.execute("SELECT request_id FROM command_history ORDER BY id")).rows;
    expect(ids.map((row) => row.request_id)).toEqual(["req-0", "req-2"]);
    await writer.close();
  });

  it("does not keep the process alive when neither the writer nor the database is closed", async () => {
    const url = `file:${temp.dir()}/waygate.db`;
    const result = await runNodeScript(
      `import { createAuditWriter, openDatabase } from ${JSON.stringify(DIST_ENTRY)};
       const db = await openDatabase({ url: ${JSON.stringify(url)} });
       await createAuditWriter(db).record({ requestId: "r", keyId: null, server: "s", tool: "t", outcome: "ok", durationMs: 1 });
       console.log("recorded");`,
    );
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe("recorded");
    expect(result.code).toBe(0);
  });
});

describe("AuditWriter.flush and close", () => {
  it("close() writes every accepted record, then refuses new ones", async () => {
    const db = await temp.db();
    const writer = createAuditWriter(db, { maxQueue: 100 });
    const settled = Array.from({ length: 1000 }, (_, i) => writer.record(entry(i)));
    await writer.close();
    expect(await rowCount(db)).toBe(1000);
    await Promise.all(settled);
    const error = await writer.record(entry(1001)).catch((e) => e);
    expect(AuditWriterClosedError.isInstance(error)).toBe(true);
    expect(error.code).toBe("AUDIT_WRITER_CLOSED");
    await writer.close();
  });

  it("flush() resolves at once when nothing is pending and after the last row otherwise", async () => {
    const db = await temp.db();
    const writer = createAuditWriter(db);
    await writer.flush();
    for (let i = 0; i < 25; i++) void writer.record(entry(i));
    expect(writer.depth).toBe(25);
    await writer.flush();
    expect(writer.depth).toBe(0);
    expect(await rowCount(db)).toBe(25);
  });
});

describe("AuditWriter redaction", () => {
  it("stores arguments with secret-named fields redacted", async () => {
    const db = await temp.db();
    const writer = createAuditWriter(db);
    await writer.record(
      entry(1, {
        arguments: {
          query: "select 1",
          apiKey: "sk-live-123",
          headers: { Authorization: "Bearer abcdefgh12345", accept: "json" },
          nested: [{ password: "hunter2", user: "ann" }],
          client_secret: "s3cr3t",
        },
      }),
    );
    const stored = String((await db.client.execute("SELECT arguments FROM command_history")).rows[0]?.[0]);
    for (const secret of ["sk-live-123", "abcdefgh12345", "hunter2", "s3cr3t"])
      expect(stored).not.toContain(secret);
    expect(JSON.parse(stored)).toEqual({
      query: "select 1",
      apiKey: "[REDACTED]",
      headers: { Authorization: "[REDACTED]", accept: "json" },
      nested: [{ password: "[REDACTED]", user: "ann" }],
      client_secret: "[REDACTED]",
    });
  });

  it("caps stored arguments at maxArgumentBytes with a marker saying how big they were", async () => {
    const db = await temp.db();
    const writer = createAuditWriter(db, { maxArgumentBytes: 512 });
    await writer.record(entry(1, { arguments: { text: "x".repeat(10_000), token: "t0k" } }));
    const stored = String((await db.client.execute("SELECT arguments FROM command_history")).rows[0]?.[0]);
    expect(Buffer.byteLength(stored)).toBeLessThanOrEqual(512);
    const parsed = JSON.parse(stored);
    expect(parsed["[truncated]"]).toBe(true);
    expect(parsed.originalBytes).toBeGreaterThan(10_000);
    expect(parsed.preview.startsWith('{"text":"xxx')).toBe(true);
    expect(stored).not.toContain("t0k");
  });

  it("stores a row within the smallest cap, 256 bytes, with the start of the call in it", async () => {
    const db = await temp.db();
    const writer = createAuditWriter(db, { maxArgumentBytes: 256 });
    await writer.record(entry(1, { arguments: { text: "x".repeat(10_000) } }));
    await writer.close();
    const stored = String((await db.client.execute("SELECT arguments FROM command_history")).rows[0]?.[0]);
    expect(Buffer.byteLength(stored)).toBeLessThanOrEqual(256);
    expect(JSON.parse(stored).preview).toMatch(/^\{"text":"x{100,}/);
  });

  it("rejects nonsensical options", () => {
    expect(() => createAuditWriter({} as WaygateDatabase, { maxQueue: 0 })).toThrow(
      /maxQueue must be a whole number >= 1/,
    );
    // Below 256 bytes the truncation marker (about 50 bytes) would leave no preview, or not fit at all.
    for (const maxArgumentBytes of [1, 50, 255, 300.5]) {
      expect(
        () => createAuditWriter({} as WaygateDatabase, { maxArgumentBytes }),
        `${maxArgumentBytes}`,
      ).toThrow(
        `createAuditWriter: maxArgumentBytes must be a whole number >= 256 (an argument over it becomes a marker of about 50 bytes), got ${maxArgumentBytes}.`,
      );
    }
  });
});
