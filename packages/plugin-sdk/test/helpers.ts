import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

/** Absolute path of the project's misbehaving MCP server fixture. */
export const MISBEHAVING_SERVER = fileURLToPath(
  new URL("../../../fixtures/misbehaving-server.ts", import.meta.url),
);

/** Entry point of @modelcontextprotocol/server-everything. */
export const SERVER_EVERYTHING = fileURLToPath(
  import.meta.resolve("@modelcontextprotocol/server-everything/dist/index.js", import.meta.url),
);

const TSX_LOADER = import.meta.resolve("tsx");

/** A stdio transport spec that runs the misbehaving fixture under node with tsx, in one process. */
export function misbehavingStdio(modes: string[] = [], env: Record<string, string> = {}) {
  return {
    type: "stdio" as const,
    command: process.execPath,
    args: ["--import", TSX_LOADER, MISBEHAVING_SERVER, ...modes.flatMap((mode) => ["--mode", mode])],
    env,
  };
}

/** True if the pid is gone or a zombie (dead but not yet reaped by whoever adopted it). */
export function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

/** Waits until the predicate is true, polling; throws with the description after the deadline. */
export async function waitFor(
  description: string,
  predicate: () => boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A free loopback TCP port (bound to port 0, then released) for servers that cannot report theirs. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== "object" || address === null) throw new Error("no port");
  return address.port;
}

/** Pids of the direct children of a process, from /proc. */
export function childPids(pid: number): number[] {
  try {
    const out = execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" });
    return out
      .split("\n")
      .map((line) => Number(line.trim()))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

/** Absolute path of the project's conformance MCP server fixture (it can send resource updates). */
export const CONFORMANCE_SERVER = fileURLToPath(
  new URL("../../../fixtures/conformance-server.ts", import.meta.url),
);

/**
 * A stdio transport spec that runs the conformance fixture under node with tsx, in one process. The fixture
 * serves both protocol eras by default; these tests cover the bridge's 2025-era paths, so it serves only those.
 */
export function conformanceStdio() {
  return {
    type: "stdio" as const,
    command: process.execPath,
    args: ["--import", TSX_LOADER, CONFORMANCE_SERVER, "--stdio", "--era", "legacy"],
  };
}

/** Absolute path of the project's 2026-07-28 (modern-era only) MCP server fixture, built on SDK v2. */
export const MODERN_SERVER = fileURLToPath(new URL("../../../fixtures/modern-server.ts", import.meta.url));

/** A stdio transport spec that runs the modern-era fixture under node with tsx, in one process. */
export function modernStdio() {
  return {
    type: "stdio" as const,
    command: process.execPath,
    args: ["--import", TSX_LOADER, MODERN_SERVER],
  };
}

/** Node arguments that start the modern-era fixture over Streamable HTTP on a port. */
export function modernHttpArgs(port: number): string[] {
  return ["--import", TSX_LOADER, MODERN_SERVER, "--http", "--port", String(port)];
}
