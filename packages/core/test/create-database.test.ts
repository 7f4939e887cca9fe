import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { describe, expect, it } from "vitest";
import {
  createDatabase,
  createRepositories,
  DatabaseAuthError,
  DatabaseCorruptError,
  DatabaseLockedError,
  DatabaseReadOnlyError,
  DatabaseUnreachableError,
  migrate,
  openDatabase,
  UnsupportedDatabaseUrlError,
  type WaygateDatabase,
  WaygateError,
} from "../src/index.js";
import { migrations } from "../src/migrations/index.js";
import { DIST_ENTRY, runNodeScript, SECRET, useTempDirs } from "./helpers.js";

const temp = useTempDirs();

async function pragma(db: WaygateDatabase, name: string) {
  return (await db.client.execute(`PRAGMA ${name}`)).rows[0]?.[0];
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)),
  );
}

describe("createDatabase with a file URL", () => {
  it("creates the parent folder and turns on WAL, the busy timeout and foreign keys", async () => {
    const path = join(temp.dir(), "nested", "deeper", "waygate.db");
    const db = temp.track(await createDatabase({ url: `file:${path}`, busyTimeoutMs: 1234 }));
    expect(db.kind).toBe("file");
    expect(db.url).toBe(`file:${path}`);
    expect(existsSync(path)).toBe(true);
    expect(await pragma(db, "journal_mode")).toBe("wal");
    expect(await pragma(db, "busy_timeout")).toBe(1234);
    expect(await pragma(db, "foreign_keys")).toBe(1);
  });

  it("enforces foreign keys on the migrated schema", async () => {
    const db = await temp.db();
    await expect(
      db.client.execute(
        "INSERT INTO command_history (request_id, key_id, transport, outcome, duration_ms, at) VALUES ('r', 'no-such-key', 'mcp', 'ok', 1, 1)",
      ),
    ).rejects.toThrow(/FOREIGN KEY/);
  });

  it("defaults to file:./data/waygate.db relative to the working folder", async () => {
    const cwd = temp.dir();
    const result = await runNodeScript(
      `import { openDatabase } from ${JSON.stringify(DIST_ENTRY)};
       const db = await openDatabase(); console.log(db.url); db.close();`,
      { cwd },
    );
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe(`file:${join(cwd, "data", "waygate.db")}`);
    expect(existsSync(join(cwd, "data", "waygate.db"))).toBe(true);
  });

  it("accepts file:///absolute URLs", async () => {
    const path = join(temp.dir(), "abs.db");
    const db = temp.track(await openDatabase({ url: `file://${path}` }));
    expect(db.url).toBe(`file:${path}`);
    expect(existsSync(path)).toBe(true);
  });
});

describe("createDatabase with :memory:", () => {
  it("opens a private in-memory database that migrates and stores keys", async () => {
    const db = temp.track(await openDatabase({ url: ":memory:" }));
    expect(db.kind).toBe("memory");
    const repos = createRepositories(db, { secretKey: SECRET });
    const { plaintext } = await repos.apiKeys.create({ name: "mem", scopes: [] });
    expect((await repos.apiKeys.verify(plaintext)).ok).toBe(true);
  });
});

describe("createDatabase bad input", () => {
  it("rejects an unknown URL scheme, naming the scheme and the supported ones, without echoing credentials", async () => {
    const error = await createDatabase({ url: "postgres://admin:hunter2@db.example.com/waygate" }).catch(
      (e) => e,
    );
    expect(UnsupportedDatabaseUrlError.isInstance(error)).toBe(true);
    expect(error.code).toBe("DATABASE_URL_UNSUPPORTED");
    expect(error.message).toContain('"postgres:"');
    expect(error.message).toContain("file:");
    expect(error.message).toContain("libsql://");
    expect(error.message).not.toContain("hunter2");
  });

  it("rejects a bare path and suggests the file: form", async () => {
    const error = await createDatabase({ url: "./data/waygate.db" }).catch((e) => e);
    expect(error.code).toBe("DATABASE_URL_UNSUPPORTED");
    expect(error.message).toContain('"file:./data/waygate.db"');
  });

  it("rejects an empty URL", async () => {
    const error = await createDatabase({ url: "  " }).catch((e) => e);
    expect(error.code).toBe("DATABASE_URL_UNSUPPORTED");
    expect(error.message).toMatch(/empty/);
  });

  it("reports a remote database that refuses connections as unreachable, without leaking the token", async () => {
    const server = createServer();
    const port = await listen(server);
    await new Promise((resolve) => server.close(resolve));
    const error = await createDatabase({ url: `http://127.0.0.1:${port}?authToken=tok-secret-123` }).catch(
      (e) => e,
    );
    expect(DatabaseUnreachableError.isInstance(error)).toBe(true);
    expect(error.code).toBe("DATABASE_UNREACHABLE");
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).toMatch(/could not be reached/);
    expect(error.message).not.toContain("tok-secret-123");
  });

  it("reports a remote database that never answers as unreachable after connectTimeoutMs", async () => {
    // A loopback socket that accepts and stays silent: what a black-holed host looks like.
    const sockets = new Set<import("node:net").Socket>();
    const server = createServer((socket) => sockets.add(socket));
    const port = await listen(server);
    try {
      const error = await createDatabase({ url: `http://127.0.0.1:${port}`, connectTimeoutMs: 300 }).catch(
        (e) => e,
      );
      expect(error.code).toBe("DATABASE_UNREACHABLE");
      expect(error.message).toContain("did not answer within 300 ms");
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("reports a remote database that refuses the token as an auth failure", async () => {
    // No sqld/Turso server can run here, so a loopback HTTP server answers the way one does for a bad token.
    const server = createHttpServer((_, res) =>
      res.writeHead(401, { "content-type": "text/plain" }).end("Unauthorized"),
    );
    const port = await listen(server as unknown as Server);
    try {
      const error = await createDatabase({ url: `http://127.0.0.1:${port}`, authToken: "wrong-token" }).catch(
        (e) => e,
      );
      expect(DatabaseAuthError.isInstance(error)).toBe(true);
      expect(error.code).toBe("DATABASE_AUTH_FAILED");
      expect(error.message).toContain("DATABASE_AUTH_TOKEN");
      expect(error.message).not.toContain("wrong-token");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("refuses a file that is not a SQLite database and leaves it untouched", async () => {
    const path = join(temp.dir(), "garbage.db");
    const garbage = "this is certainly not a sqlite database\n".repeat(200);
    writeFileSync(path, garbage);
    const error = await openDatabase({ url: `file:${path}` }).catch((e) => e);
    expect(DatabaseCorruptError.isInstance(error)).toBe(true);
    expect(error.code).toBe("DATABASE_CORRUPT");
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/not a SQLite database or is corrupt/);
    expect(error.message).toMatch(/backup/);
    const { readFileSync } = await import("node:fs");
    expect(readFileSync(path, "utf8")).toBe(garbage);
  });

  it("reports a file locked by another connection as locked, and applies nothing", async () => {
    const path = join(temp.dir(), "locked.db");
    const db = temp.track(await createDatabase({ url: `file:${path}`, busyTimeoutMs: 200 }));
    const other = createClient({ url: `file:${path}` });
    const lock = await other.transaction("write");
    try {
      await lock.execute("CREATE TABLE holder (x)");
      const error = await migrate(db).catch((e) => e);
      expect(DatabaseLockedError.isInstance(error)).toBe(true);
      expect(error.code).toBe("DATABASE_LOCKED");
      expect(error.message).toContain("200 ms");
      expect(error.message).toMatch(/busyTimeoutMs/);
    } finally {
      await lock.rollback();
      other.close();
    }
    const tables = await db.client.execute("SELECT name FROM sqlite_master WHERE type = 'table'");
    expect(tables.rows).toEqual([]);
    expect((await migrate(db)).applied).toEqual(migrations.map((m) => m.version));
  });

  it("reports a read-only folder as read-only, naming the folder", async () => {
    const dir = temp.dir();
    const blocked = join(dir, "ro");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(blocked);
    chmodSync(dir, 0o755);
    chmodSync(blocked, 0o555);
    // root ignores permission bits, so when running as root the attempt is made by an unprivileged child.
    const asRoot = process.getuid?.() === 0;
    const script = (url: string) =>
      `import { openDatabase } from ${JSON.stringify(DIST_ENTRY)};
       try { await openDatabase({ url: ${JSON.stringify(url)} }); console.log(JSON.stringify({ ok: true })); }
       catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })); }`;
    const attempt = async (url: string) => {
      if (!asRoot)
        return openDatabase({ url }).then(
          () => ({ ok: true }),
          (e) => e,
        );
      const result = await runNodeScript(script(url), { uid: 65534, gid: 65534, cwd: dir });
      return JSON.parse(result.stdout.trim() || JSON.stringify({ stderr: result.stderr }));
    };
    try {
      const inFolder = await attempt(`file:${join(blocked, "waygate.db")}`);
      expect(inFolder.code).toBe("DATABASE_READ_ONLY");
      expect(inFolder.message).toContain(join(blocked, "waygate.db"));
      expect(inFolder.message).toMatch(/write/);
      const subFolder = await attempt(`file:${join(blocked, "sub", "waygate.db")}`);
      expect(subFolder.code).toBe("DATABASE_READ_ONLY");
      expect(subFolder.message).toContain(`Cannot create the folder ${join(blocked, "sub")}`);
      expect(existsSync(join(blocked, "waygate.db"))).toBe(false);
    } finally {
      chmodSync(blocked, 0o755);
    }
  });

  it("rejects a negative busy timeout", async () => {
    const error = await createDatabase({ url: ":memory:", busyTimeoutMs: -1 }).catch((e) => e);
    expect(WaygateError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/busyTimeoutMs must be a whole number/);
  });
});

describe("DatabaseReadOnlyError", () => {
  it("is recognised by isInstance of its own class and the base classes", () => {
    const error = new DatabaseReadOnlyError("x");
    expect(DatabaseReadOnlyError.isInstance(error)).toBe(true);
    expect(WaygateError.isInstance(error)).toBe(true);
    expect(DatabaseLockedError.isInstance(error)).toBe(false);
  });
});
