import { join } from "node:path";
import { createClient } from "@libsql/client";
import { describe, expect, it } from "vitest";
import { DatabaseLockedError, openDatabase, probeWrite } from "../src/index.js";
import { useTempDirs } from "./helpers.js";

const temp = useTempDirs();

describe("probeWrite", () => {
  it("resolves on a writable database and writes nothing", async () => {
    const db = await temp.db();
    const before = await db.client.execute("SELECT count(*) AS n FROM system_events");
    await probeWrite(db);
    const after = await db.client.execute("SELECT count(*) AS n FROM system_events");
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
  });

  it("throws DatabaseLockedError naming the file once the busy timeout expires under another writer's lock, and passes again after release", async () => {
    const file = join(temp.dir(), "waygate.db");
    const db = temp.track(await openDatabase({ url: `file:${file}`, busyTimeoutMs: 100 }));
    const other = createClient({ url: `file:${file}` });
    const tx = await other.transaction("write");
    try {
      await tx.execute("INSERT INTO system_events (level, type, message, at) VALUES ('info', 't', 'm', 0)");
      const error = await probeWrite(db).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(DatabaseLockedError.isInstance(error)).toBe(true);
      expect((error as Error).message).toContain(file);
      expect((error as Error).message).toContain("checking that writes can commit");
    } finally {
      await tx.rollback();
      tx.close();
      other.close();
    }
    await expect(probeWrite(db)).resolves.toBeUndefined();
  });
});
