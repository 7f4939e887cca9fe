import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createAuditWriter,
  createDatabase,
  DatabaseError,
  openDatabase,
  type WaygateDatabase,
} from "../src/index.js";
import { useTempDirs } from "./helpers.js";

const temp = useTempDirs();
const NORMAL = 1;
const FULL = 2;

async function level(db: WaygateDatabase): Promise<number> {
  return Number((await db.client.execute("PRAGMA synchronous")).rows[0]?.[0]);
}

async function open(synchronous?: "full" | "normal"): Promise<WaygateDatabase> {
  const url = `file:${join(temp.dir(), "waygate.db")}`;
  return temp.track(await openDatabase({ url, ...(synchronous ? { synchronous } : {}) }));
}

describe("synchronous setting", () => {
  it("defaults to normal for a local file", async () => {
    const db = await open();
    expect(db.synchronous).toBe("normal");
    expect(await level(db)).toBe(NORMAL);
  });

  it("keeps the level on the connection a transaction used and on connections opened while it was held", async () => {
    const db = await open("normal");
    const tx = await db.client.transaction("write");
    expect(Number((await tx.execute("PRAGMA synchronous")).rows[0]?.[0])).toBe(NORMAL);
    // The first transaction holds one connection, so this one gets a second, newly opened one.
    const second = await db.client.transaction("read");
    expect(Number((await second.execute("PRAGMA synchronous")).rows[0]?.[0])).toBe(NORMAL);
    second.close();
    await tx.execute("INSERT INTO config (key, value, type, updated_at) VALUES ('k', '1', 'string', 1)");
    await tx.commit();
    expect(await level(db)).toBe(NORMAL);
  });

  it("runs every transaction at the chosen level even when several are open at once", async () => {
    const db = await open("full");
    const open3 = await Promise.all([1, 2, 3].map(() => db.client.transaction("deferred")));
    for (const tx of open3) {
      expect(Number((await tx.execute("PRAGMA synchronous")).rows[0]?.[0])).toBe(FULL);
    }
    for (const tx of open3) tx.close();
    // A write sent with execute and a batch both commit at the chosen level.
    await db.client.execute(
      "INSERT INTO config (key, value, type, updated_at) VALUES ('a', '1', 'string', 1)",
    );
    const [, after] = await db.client.batch(
      [
        "INSERT INTO config (key, value, type, updated_at) VALUES ('b', '2', 'string', 1)",
        "PRAGMA synchronous",
      ],
      "write",
    );
    expect(Number(after?.rows[0]?.[0])).toBe(FULL);
    expect(await level(db)).toBe(FULL);
  });

  it("keeps audit rows written at normal level through a reopen", async () => {
    const url = `file:${join(temp.dir(), "waygate.db")}`;
    const db = await openDatabase({ url, synchronous: "normal" });
    const audit = createAuditWriter(db);
    await Promise.all(
      [1, 2, 3].map((n) =>
        audit.record({
          requestId: `r${n}`,
          keyId: null,
          server: "s",
          tool: "t",
          transport: "mcp",
          arguments: {},
          outcome: "ok",
          durationMs: 1,
        }),
      ),
    );
    await audit.close();
    db.close();
    const again = temp.track(await openDatabase({ url }));
    const count = await again.client.execute("SELECT count(*) FROM command_history");
    expect(Number(count.rows[0]?.[0])).toBe(3);
  });

  it("refuses an unknown level and names the allowed values", async () => {
    const url = `file:${join(temp.dir(), "waygate.db")}`;
    const attempt = createDatabase({ url, synchronous: "off" as "full" });
    await expect(attempt).rejects.toThrow(DatabaseError);
    await expect(attempt).rejects.toThrow(
      'synchronous must be "full" or "normal" (DATABASE_SYNCHRONOUS), got "off".',
    );
  });

  it("leaves memory databases without a level", async () => {
    const db = temp.track(await openDatabase({ url: ":memory:" }));
    expect(db.synchronous).toBeUndefined();
  });
});

describe("synchronous setting with concurrent writers", () => {
  it("commits twenty concurrent write batches without waiting on each other's locks", async () => {
    const db = await open("normal");
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        db.client.batch(
          [
            {
              sql: "INSERT INTO config (key, value, type, updated_at) VALUES (?, '1', 'string', 1)",
              args: [`k${i}`],
            },
          ],
          "write",
        ),
      ),
    );
    const count = await db.client.execute("SELECT count(*) FROM config WHERE key LIKE 'k%'");
    expect(Number(count.rows[0]?.[0])).toBe(20);
  });

  it("numbers a failing statement of a batch as the caller wrote it", async () => {
    const db = await open("normal");
    const failing = db.client.batch(["SELECT 1", "INSERT INTO no_such_table VALUES (1)"], "write");
    await expect(failing).rejects.toMatchObject({ statementIndex: 1 });
    await expect(failing).rejects.toThrow(/no such table: no_such_table/);
  });
});
