import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The built `waygate` binary: the tests run what users run. */
export const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "bin.js");

/** Command line of the real `@modelcontextprotocol/server-everything` (stdio), run by this Node. */
export const EVERYTHING = {
  command: process.execPath,
  args: [
    join(
      dirname(createRequire(import.meta.url).resolve("@modelcontextprotocol/server-everything/package.json")),
      "dist",
      "index.js",
    ),
    "stdio",
  ],
};

/** A clean environment: nothing from the caller's WAYGATE_* or DATABASE_* leaks into a test. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const keep = ["PATH", "HOME", "TMPDIR", "LANG", "SYSTEMROOT"];
  const base = Object.fromEntries(
    keep.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name] as string]])),
  );
  // No example servers on an empty development config: tests say which servers they want.
  return { ...base, WAYGATE_PORT: "0", WAYGATE_EXAMPLES: "false", ...extra };
}

/** What a CLI run printed and how it exited. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `waygate <args>` in `cwd` and waits for it to exit. */
export function runCli(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: options.cwd, env: cleanEnv(options.env), timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
