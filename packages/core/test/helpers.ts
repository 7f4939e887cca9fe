import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { openDatabase, type WaygateDatabase } from "../src/index.js";

/** A fixed secret for tests; real deployments set WAYGATE_SECRET_KEY. */
export const SECRET = "test-secret-key-0123456789abcdef-0123456789";

/** Registers cleanup for everything a test opened: temp folders and databases. */
export function useTempDirs() {
  const dirs: string[] = [];
  const dbs: WaygateDatabase[] = [];
  afterEach(() => {
    for (const db of dbs.splice(0)) db.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return {
    /** A fresh empty folder, removed after the test. */
    dir(): string {
      const dir = mkdtempSync(join(tmpdir(), "waygate-core-"));
      dirs.push(dir);
      return dir;
    },
    /** A migrated database in a fresh file, closed after the test. */
    async db(): Promise<WaygateDatabase> {
      const dir = mkdtempSync(join(tmpdir(), "waygate-core-"));
      dirs.push(dir);
      const db = await openDatabase({ url: `file:${join(dir, "waygate.db")}` });
      dbs.push(db);
      return db;
    },
    /** Closes `db` after the test too. */
    track(db: WaygateDatabase): WaygateDatabase {
      dbs.push(db);
      return db;
    },
  };
}

/** A clock tests can move by hand. */
export function manualClock(start = Date.parse("2026-01-01T00:00:00Z")) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

/** The built package entry, for scripts run in child processes. */
export const DIST_ENTRY = new URL("../dist/index.js", import.meta.url).href;

/** Runs an ES module `source` with Node in a child process and collects its output. */
export function runNodeScript(
  source: string,
  options: { cwd?: string; uid?: number; gid?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", source], {
      cwd: options.cwd,
      uid: options.uid,
      gid: options.gid,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The error `promise` rejects with; fails the test if it resolves instead. */
export async function rejectionOf<
  E = { code: string; message: string; issues: { path: string; message: string }[] },
>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (error) {
    return error as E;
  }
  throw new Error("expected the promise to reject, but it resolved");
}
