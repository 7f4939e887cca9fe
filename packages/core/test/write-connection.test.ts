import { join } from "node:path";
import { createClient } from "@libsql/client";
import { describe, expect, it } from "vitest";
import { createDatabase, DatabaseError, openDatabase, type SynchronousLevel } from "../src/index.js";
import { useTempDirs } from "./helpers.js";

const temp = useTempDirs();

const insertConfig = (key: string) => ({
  sql: "INSERT INTO config (key, value, type, updated_at) VALUES (?, ?, 'string', 0)",
  args: [key, "v"],
});

async function configKeys(db: { client: { execute(sql: string): Promise<{ rows: unknown[] }> } }) {
  const result = await db.client.execute("SELECT key FROM config ORDER BY key");
  return result.rows.map((row) => (row as { key: string }).key);
}

describe("WaygateDatabase.openWriteConnection", () => {
  it("commits a batch in one transaction that the database's client reads at once", async () => {
    const db = await temp.db();
    const connection = db.openWriteConnection();
    expect(connection).toBeDefined();
    connection!.batch([insertConfig("a"), insertConfig("b")]);
    expect(await configKeys(db)).toEqual(["a", "b"]);
    connection!.close();
  });

  it.each(["normal", "full"] as const)(
    "commits at the synchronous level the database was opened with (%s)",
    async (synchronous: SynchronousLevel) => {
      const url = `file:${join(temp.dir(), "waygate.db")}`;
      const db = temp.track(await openDatabase({ url, synchronous }));
      const connection = db.openWriteConnection()!;
      connection.batch([
        {
          sql: "INSERT INTO config (key, value, type, updated_at) SELECT 'level', synchronous, 'number', 0 FROM pragma_synchronous",
          args: [],
        },
      ]);
      const stored = await db.client.execute("SELECT value FROM config WHERE key = 'level'");
      expect(Number(stored.rows[0]?.[0])).toBe(synchronous === "full" ? 2 : 1);
      connection.close();
    },
  );

  it("writes nothing of a batch whose statement fails, enforces foreign keys, and keeps working after", async () => {
    const db = await temp.db();
    const connection = db.openWriteConnection()!;
    const orphan = {
      sql: "INSERT INTO command_history (request_id, key_id, transport, outcome, duration_ms, at) VALUES ('r', 'no-such-key', 'mcp', 'ok', 1, 1)",
      args: [],
    };
    expect(() => connection.batch([insertConfig("lost"), orphan])).toThrow(/FOREIGN KEY/);
    connection.batch([insertConfig("kept")]);
    expect(await configKeys(db)).toEqual(["kept"]);
    connection.close();
  });

  it("fails with SQLITE_BUSY while another connection holds the write lock, and commits once it is released", async () => {
    const file = join(temp.dir(), "waygate.db");
    const db = temp.track(await openDatabase({ url: `file:${file}`, busyTimeoutMs: 50 }));
    const connection = db.openWriteConnection()!;
    connection.batch([insertConfig("before")]); // the connection and its statement exist before the lock
    const other = createClient({ url: `file:${file}` });
    const lock = await other.transaction("write");
    await lock.execute("INSERT INTO config (key, value, type, updated_at) VALUES ('held', '1', 'string', 0)");
    try {
      expect(() => connection.batch([insertConfig("during")])).toThrow(
        expect.objectContaining({ code: "SQLITE_BUSY" }),
      );
    } finally {
      await lock.rollback();
      other.close();
    }
    connection.batch([insertConfig("after")]);
    expect(await configKeys(db)).toEqual(["after", "before"]);
    connection.close();
  });

  it("is closed by db.close(); a batch after that fails naming the database", async () => {
    const db = await temp.db();
    const connection = db.openWriteConnection()!;
    connection.batch([insertConfig("a")]);
    db.close();
    expect(connection.closed).toBe(true);
    const error = (() => {
      try {
        connection.batch([insertConfig("b")]);
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(DatabaseError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe(`The database ${db.url} is closed.`);
    expect(db.openWriteConnection()?.closed).toBe(true);
  });

  it("is undefined for an in-memory database, which has no file to share", async () => {
    const db = temp.track(await createDatabase({ url: ":memory:" }));
    expect(db.openWriteConnection()).toBeUndefined();
  });
});
