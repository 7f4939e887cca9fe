/**
 * Prints what scale-out costs per call: a REST tool call (`POST /mcp/execute`, key auth, rate limit, audit)
 * with counters in memory and in a real Redis, and an MCP tool call through `/mcp` stateful and stateless.
 * Figures only; nothing here fails on speed. Needs `redis-server` on the PATH and a build
 * (`pnpm --filter @waygate/gateway bench:scale-out`).
 */
import { execFileSync } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { type GatewayProcess, startGateway, waitForOutput } from "../test/gateway-process.js";
import { tempDir, writeJson } from "../test/helpers.js";
import { startRedis } from "../test/redis-server.js";
import { BIN, cleanEnv, EVERYTHING } from "../test/run-cli.js";

const SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef";
const CALLS = 300;
const WARMUP = 30;

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function report(name: string, samples: number[]): void {
  const fmt = (value: number) => value.toFixed(2).padStart(8);
  console.log(
    `${name.padEnd(48)} n=${String(samples.length).padStart(4)}  p50 ${fmt(percentile(samples, 50))} ms  p95 ${fmt(percentile(samples, 95))} ms`,
  );
}

async function timeRest(gateway: GatewayProcess, key: string): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < CALLS + WARMUP; i++) {
    const started = performance.now();
    const response = await fetch(`${gateway.url}/mcp/execute`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ tool: "everything__echo", arguments: { message: `call ${i}` } }),
    });
    if (response.status !== 200)
      throw new Error(`call ${i} answered ${response.status}: ${await response.text()}`);
    await response.arrayBuffer();
    samples.push(performance.now() - started);
  }
  return samples.slice(WARMUP);
}

async function timeMcp(gateway: GatewayProcess, key: string): Promise<number[]> {
  const client = new Client({ name: "bench", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
    }),
  );
  const samples: number[] = [];
  try {
    for (let i = 0; i < CALLS + WARMUP; i++) {
      const started = performance.now();
      await client.callTool({ name: "everything__echo", arguments: { message: `call ${i}` } });
      samples.push(performance.now() - started);
    }
  } finally {
    await client.close();
  }
  return samples.slice(WARMUP);
}

async function withGateway<T>(
  cwd: string,
  env: Record<string, string>,
  work: (gateway: GatewayProcess) => Promise<T>,
): Promise<T> {
  const gateway = await startGateway(cwd, {
    WAYGATE_SECRET_KEY: SECRET,
    WAYGATE_CONFIG: "waygate.json",
    ...env,
  });
  try {
    await waitForOutput(gateway, "upstreams started");
    return await work(gateway);
  } finally {
    await gateway.stop();
  }
}

async function main(): Promise<void> {
  const dir = await tempDir("waygate-bench-");
  const redis = await startRedis();
  try {
    await writeJson(dir.path, "waygate.json", { mcpServers: { everything: EVERYTHING } });
    const created = execFileSync(
      process.execPath,
      [BIN, "keys", "create", "--name", "bench", "--rate-limit", "1000000", "--json"],
      { cwd: dir.path, env: cleanEnv({ WAYGATE_SECRET_KEY: SECRET }) },
    );
    const { key } = JSON.parse(created.toString()) as { key: string };

    report("REST execute, rate limit in memory", await withGateway(dir.path, {}, (g) => timeRest(g, key)));
    report(
      "REST execute, rate limit in Redis (loopback)",
      await withGateway(dir.path, { REDIS_URL: redis.url }, (g) => timeRest(g, key)),
    );
    report("MCP tools/call, stateful session", await withGateway(dir.path, {}, (g) => timeMcp(g, key)));
    report(
      "MCP tools/call, stateless",
      await withGateway(dir.path, { MCP_SESSION_MODE: "stateless" }, (g) => timeMcp(g, key)),
    );
  } finally {
    await redis.stop();
    await dir.cleanup();
  }
}

await main();
