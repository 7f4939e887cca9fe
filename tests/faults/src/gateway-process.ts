import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { WAYGATE_BIN } from "./paths.js";

/** A `waygate start` process; `output()` is everything it wrote to stdout and stderr. */
export interface GatewayProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  output(): string;
  /** Resolves with the exit code and signal once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` (SIGTERM by default) unless the process is gone, then waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Only these variables of the test's environment reach the gateway. */
export function gatewayEnv(extra: Record<string, string>): Record<string, string> {
  const keep = ["PATH", "HOME", "TMPDIR", "LANG"];
  const base = Object.fromEntries(
    keep.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name] as string]])),
  );
  return { ...base, WAYGATE_HOST: "127.0.0.1", WAYGATE_PORT: "0", WAYGATE_ENV: "test", ...extra };
}

/** Runs `node <bin> start`; the promise settles when it prints "listening on", or rejects with its output. */
export function startGatewayProcess(options: {
  cwd: string;
  env: Record<string, string>;
  timeoutMs?: number;
  /** Extra `node` flags (e.g. none); the gateway runs under this Node. */
  nodeArgs?: string[];
}): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), WAYGATE_BIN, "start"], {
    cwd: options.cwd,
    env: gatewayEnv(options.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = once(child, "exit").then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  const timeoutMs = options.timeoutMs ?? 45_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`gateway did not listen within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = () => {
      const match = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (!match?.[1]) return;
      clearTimeout(timer);
      child.stderr?.off("data", onData);
      resolve({
        child,
        pid: child.pid as number,
        url: match[1],
        output: () => output,
        exited,
        async stop(signal = "SIGTERM") {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    };
    child.stderr?.on("data", onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(
        Object.assign(new Error(`gateway exited (${code ?? signal}) before listening:\n${output}`), {
          output,
          code,
        }),
      );
    });
  });
}

/** Polls `check` every 50 ms until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

/** Resident set size of a process in bytes, from /proc. */
export async function rssBytes(pid: number): Promise<number> {
  const { readFile } = await import("node:fs/promises");
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb) * 1024;
}
