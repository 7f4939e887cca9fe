import { open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { afterEach, describe, expect, it } from "vitest";
import { readRows } from "../src/database-reader.js";
import { recordCase } from "../src/fault-table.js";
import { type GatewayProcess, startGatewayProcess, waitFor } from "../src/gateway-process.js";
import { caseTest } from "../src/known-gaps.js";
import { execute } from "../src/mcp-client.js";
import { faultUpstreamServer } from "../src/paths.js";
import { mountTmpfs, type Tmpfs } from "../src/tmpfs.js";
import { createWorkspace, SECRET_KEY, type Workspace } from "../src/workspace.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

async function workspace(options: { dataDir?: string } = {}): Promise<Workspace> {
  const ws = await createWorkspace(options);
  cleanups.push(() => ws.cleanup());
  await ws.writeConfig({ mcpServers: { work: faultUpstreamServer() } });
  return ws;
}

async function start(ws: Workspace): Promise<GatewayProcess> {
  const gateway = await startGatewayProcess({
    cwd: ws.dir,
    env: { DATABASE_URL: ws.databaseUrl, WAYGATE_SECRET_KEY: SECRET_KEY, WAYGATE_CONFIG: "waygate.json" },
  });
  cleanups.push(() => gateway.stop("SIGKILL"));
  await waitFor("the upstream to be ready", async () => {
    const health = (await (await fetch(`${gateway.url}/health`)).json()) as { status: string };
    return health.status === "ok" ? true : undefined;
  });
  return gateway;
}

/** `/health` as an admin sees it (error text is shown only to metrics:read or admin keys). */
async function health(url: string, ws: Workspace) {
  const response = await fetch(`${url}/health`, { headers: { authorization: `Bearer ${ws.keys.admin}` } });
  return {
    status: response.status,
    body: (await response.json()) as { database: { ok: boolean; error?: string } },
  };
}

const cases = {
  lockSurvives: "database write-locked by another process",
  lockHealth: "/health while the database is write-locked",
  lockCalls: "calls while the database is write-locked",
  readOnly: "data folder read-only at start",
  diskSurvives: "disk full, then space returns",
  diskCalls: "calls while the disk is full",
};

/** Holds the database's write lock from a second connection (as another writer would) until released. */
async function holdWriteLock(databaseUrl: string) {
  const locker = createClient({ url: databaseUrl });
  const tx = await locker.transaction("write");
  await tx.execute(
    "INSERT INTO system_events (level, type, message, at) VALUES ('info', 'faults.lock', 'held', 0)",
  );
  return async () => {
    await tx.rollback().catch(() => {});
    tx.close();
    locker.close();
  };
}

/** Fills the filesystem at `dir` to the last byte; returns the filler's path. */
async function fillDisk(dir: string): Promise<string> {
  const filler = join(dir, "filler");
  const handle = await open(filler, "w");
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (let i = 0; i < 4096; i++) await handle.write(chunk);
    throw new Error(`the disk at ${dir} did not fill up`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  } finally {
    await handle.close();
  }
  return filler;
}

/** A gateway on a 4 MiB tmpfs with a completed call, for the disk-full cases. */
async function gatewayOnSmallDisk() {
  const outer = await createWorkspace();
  cleanups.push(() => outer.cleanup());
  const disk = await mountTmpfs(join(outer.dir, "small-disk"), { sizeBytes: 4 * 1024 * 1024 });
  cleanups.push(() => disk.unmount());
  const ws = await workspace({ dataDir: disk.path });
  const gateway = await start(ws);
  expect((await execute(gateway.url, ws.keys.caller, "work__echo", { text: "before" })).status).toBe(200);
  return { ws, gateway, disk };
}

/** Calls until one is refused (SQLite may fit a few rows in pages it already owns); at most 100 calls. */
async function callUntilRefused(url: string, key: string) {
  let answered = 0;
  for (let i = 0; i < 100; i++) {
    const result = await execute(url, key, "work__echo", { text: `full-${i}-${"y".repeat(6000)}` });
    if (result.status !== 200) return { answered, refused: result };
    answered++;
  }
  return { answered, refused: undefined };
}

describe("database faults", () => {
  it("a database write-locked by another process does not crash the gateway, and calls succeed once it is released", async () => {
    const ws = await workspace();
    const gateway = await start(ws);
    const release = await holdWriteLock(ws.databaseUrl);
    cleanups.push(release);
    const started = performance.now();
    const during = await execute(gateway.url, ws.keys.caller, "work__echo", { text: "while locked" });
    const ms = Math.round(performance.now() - started);
    expect(gateway.child.exitCode).toBeNull();
    await release();
    const after = await execute(gateway.url, ws.keys.caller, "work__echo", { text: "after" });
    expect(after.status).toBe(200);
    expect((await health(gateway.url, ws)).status).toBe(200);
    recordCase({
      case: cases.lockSurvives,
      expected: "no crash; calls succeed after release",
      observed: `call during lock: ${during.status} after ${ms} ms; after release: ${after.status}`,
    });
  });

  caseTest(cases.lockHealth)(
    "/health answers 503 naming the lock once the busy timeout expires while another process holds the write lock",
    async () => {
      const ws = await workspace();
      const gateway = await start(ws);
      // The admin key's first use writes its last-use time, which the lock would block (the key then cannot be
      // checked and /health shows only its status view); use it once before taking the lock.
      expect((await health(gateway.url, ws)).status).toBe(200);
      const release = await holdWriteLock(ws.databaseUrl);
      cleanups.push(release);
      const locked = await health(gateway.url, ws);
      await release();
      expect(locked.status).toBe(503);
      expect(locked.body.database.error).toMatch(/lock|busy/i);
      recordCase({
        case: cases.lockHealth,
        expected: "503 after the busy timeout",
        observed: `${locked.status}: ${locked.body.database.error}`,
      });
    },
  );

  caseTest(cases.lockCalls)(
    "a call whose audit row cannot be written within the busy timeout fails closed with 503 instead of answering unaudited",
    async () => {
      const ws = await workspace();
      const gateway = await start(ws);
      // A first call records the key's last use, so during the lock only the audit row needs a write.
      expect((await execute(gateway.url, ws.keys.caller, "work__echo", { text: "warm" })).status).toBe(200);
      const release = await holdWriteLock(ws.databaseUrl);
      cleanups.push(release);
      const during = await execute(gateway.url, ws.keys.caller, "work__echo", { text: "while locked" });
      await release();
      expect(during.status).toBe(503);
      expect(during.body.result).toBeUndefined();
      expect(during.body.error?.message).toMatch(/audit|lock|busy/i);
      recordCase({
        case: cases.lockCalls,
        expected: "503 with a clear error, no unaudited result",
        observed: `${during.status} ${during.body.error?.code}: ${during.body.error?.message}`,
      });
    },
  );

  it("a read-only data folder at start is refused with an error naming the database file before the port is bound", async () => {
    const ws = await workspace();
    const data: Tmpfs = await mountTmpfs(join(ws.dir, "ro-data"), { sizeBytes: 1024 * 1024, readOnly: true });
    cleanups.push(() => data.unmount());
    const databaseFile = join(data.path, "waygate.db");
    const failure = await startGatewayProcess({
      cwd: ws.dir,
      env: {
        DATABASE_URL: `file:${databaseFile}`,
        WAYGATE_SECRET_KEY: SECRET_KEY,
        WAYGATE_CONFIG: "waygate.json",
      },
    }).then(
      (gateway) => {
        cleanups.push(() => gateway.stop("SIGKILL"));
        return { output: gateway.output(), code: "listening" as number | string };
      },
      (error: { output?: string; code?: number }) => ({ output: error.output ?? "", code: error.code ?? -1 }),
    );
    expect(failure.code).not.toBe("listening");
    expect(failure.code).not.toBe(0);
    expect(failure.output).not.toContain("listening on");
    expect(failure.output).toContain(databaseFile);
    expect(failure.output).toMatch(/may write to it|read-only|not writable/i);
    const line = failure.output.split("\n").find((text) => text.includes(databaseFile)) ?? "";
    recordCase({
      case: cases.readOnly,
      expected: "clear error, exit before binding the port",
      observed: `exit ${failure.code} before listening: "${line.trim().slice(0, 70)}…${line.trim().slice(-60)}"`,
    });
  });

  it("a full disk does not crash the gateway, and calls succeed again once space returns", async () => {
    const { ws, gateway, disk } = await gatewayOnSmallDisk();
    const filler = await fillDisk(disk.path);
    const { answered, refused } = await callUntilRefused(gateway.url, ws.keys.caller);
    expect(gateway.child.exitCode).toBeNull();
    await writeFile(filler, "");
    const resumed = await waitFor("calls to succeed again", async () => {
      const result = await execute(gateway.url, ws.keys.caller, "work__echo", { text: "after" });
      return result.status === 200 ? result : undefined;
    });
    expect(resumed.body.result?.content?.[0]?.text).toBe("after");
    const rows = await readRows(
      ws.databaseUrl,
      "SELECT count(*) AS n FROM command_history WHERE arguments LIKE '%after%'",
    );
    expect(Number(rows[0]?.n)).toBeGreaterThan(0);
    recordCase({
      case: cases.diskSurvives,
      expected: "no crash; calls answered and audited after space returns",
      observed: `while full: ${answered} answered, ${refused ? `then ${refused.status}` : "none refused"}; after: 200, audited`,
    });
  });

  caseTest(cases.diskCalls)(
    "a call whose audit row cannot be written on a full disk fails closed with 503 naming the cause",
    async () => {
      const { ws, gateway, disk } = await gatewayOnSmallDisk();
      await fillDisk(disk.path);
      const { answered, refused } = await callUntilRefused(gateway.url, ws.keys.caller);
      expect(refused?.status).toBe(503);
      expect(refused?.body.result).toBeUndefined();
      expect(refused?.body.error?.message).toMatch(/disk|full|audit/i);
      // A few rows may fit in pages SQLite already owns, but each of those was audited.
      const audited = await readRows(
        ws.databaseUrl,
        "SELECT count(*) AS n FROM command_history WHERE arguments LIKE '%full-%'",
      );
      expect(Number(audited[0]?.n)).toBe(answered);
      recordCase({
        case: cases.diskCalls,
        expected: "503 with a clear error; every answered call audited",
        observed: `${answered} answered and audited, then ${refused?.status} ${refused?.body.error?.code}`,
      });
    },
  );
});
