import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { tempDir } from "./helpers.js";

/** A real `redis-server` (Debian's) on a loopback port, in its own temp dir; `stop` ends it and removes the dir. */
export interface RedisServer {
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** A port that was free a moment ago (redis-server cannot pick its own and report it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

async function startOnce(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)));
    child.once("error", reject);
  });
  await ready;
  return child;
}

/** Starts redis-server on a free loopback port; retries once if another process took the port first. */
export async function startRedis(): Promise<RedisServer> {
  const dir = await tempDir("waygate-redis-");
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      const child = await startOnce(port, dir.path);
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        child,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) {
            const exited = once(child, "exit");
            child.kill("SIGTERM");
            await exited;
          }
          await dir.cleanup();
        },
      };
    } catch (error) {
      lastError = error;
    }
  }
  await dir.cleanup();
  throw lastError;
}
