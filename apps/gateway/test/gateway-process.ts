import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { BIN, cleanEnv } from "./run-cli.js";

/** A `waygate` process started by a test; `stop` sends SIGTERM and returns the exit code. */
export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  stderr(): string;
  stdout(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Spawns `command` and waits until its stderr says `listening on <url>`, or rejects with what it printed. */
export function spawnListening(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs?: number },
): Promise<GatewayProcess> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let stdout = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  const handle = (url: string): GatewayProcess => ({
    child,
    url,
    stderr: () => stderr,
    stdout: () => stdout,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const [code] = await exited;
      return code;
    },
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(`gateway did not start within ${options.timeoutMs ?? 45_000} ms:\n${stderr}\n${stdout}`),
      );
    }, options.timeoutMs ?? 45_000);
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (http:\/\/[^\s]+)/.exec(stderr);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(handle(match[1]));
      }
    });
    void exited.then(([code]) => {
      clearTimeout(timer);
      reject(
        Object.assign(new Error(`gateway exited with ${code} before listening:\n${stderr}`), {
          code,
          stderr,
        }),
      );
    });
  });
}

/** Starts `waygate start` (port 0) in `cwd`. */
export function startGateway(cwd: string, env: Record<string, string> = {}): Promise<GatewayProcess> {
  return spawnListening(process.execPath, [BIN, "start"], { cwd, env: cleanEnv(env) });
}

/** Waits until the gateway's stderr contains `text` (e.g. "upstreams started"). */
export async function waitForOutput(
  gateway: GatewayProcess,
  text: string,
  timeoutMs = 45_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!gateway.stderr().includes(text)) {
    if (Date.now() > deadline) throw new Error(`no "${text}" within ${timeoutMs} ms:\n${gateway.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The first-run admin key printed in the banner. */
export function firstRunKey(stderr: string): string | undefined {
  return /First run: created an admin API key[\s\S]*?(wg_[A-Za-z0-9_-]+)/.exec(stderr)?.[1];
}
