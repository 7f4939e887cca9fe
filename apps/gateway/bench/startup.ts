/**
 * Prints how fast the `waygate` CLI and gateway start and how long a tool call through the gateway takes.
 * Figures only; nothing here fails on speed. Run with `pnpm --filter @waygate/gateway bench` after a build.
 */
import { execFileSync } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startGateway, waitForOutput } from "../test/gateway-process.js";
import { tempDir, writeJson } from "../test/helpers.js";
import { BIN, cleanEnv, EVERYTHING } from "../test/run-cli.js";

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function report(name: string, samples: number[]): void {
  const fmt = (value: number) => value.toFixed(1).padStart(8);
  console.log(
    `${name.padEnd(44)} n=${String(samples.length).padStart(4)}  p50 ${fmt(percentile(samples, 50))} ms  p95 ${fmt(percentile(samples, 95))} ms`,
  );
}

async function main(): Promise<void> {
  const dir = await tempDir("waygate-bench-");
  try {
    const versionRuns: number[] = [];
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      execFileSync(process.execPath, [BIN, "--version"], { env: cleanEnv() });
      versionRuns.push(performance.now() - started);
    }
    report("cli: waygate --version (process)", versionRuns);

    const listRuns: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      execFileSync(process.execPath, [BIN, "keys", "list"], { cwd: dir.path, env: cleanEnv() });
      listRuns.push(performance.now() - started);
    }
    report("cli: waygate keys list (process, libSQL file)", listRuns);

    await writeJson(dir.path, "waygate.json", { mcpServers: { everything: EVERYTHING } });
    const listenRuns: number[] = [];
    const readyRuns: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const gateway = await startGateway(dir.path, { WAYGATE_CONFIG: "waygate.json", WAYGATE_AUTH: "none" });
      listenRuns.push(performance.now() - started);
      await waitForOutput(gateway, "upstreams started");
      readyRuns.push(performance.now() - started);
      await gateway.stop();
    }
    report("start: spawn to listening", listenRuns);
    report("start: spawn to server-everything ready", readyRuns);

    const gateway = await startGateway(dir.path, { WAYGATE_CONFIG: "waygate.json", WAYGATE_AUTH: "none" });
    try {
      await waitForOutput(gateway, "upstreams started");
      const client = new Client({ name: "bench", version: "1.0.0" });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp`)));
      const calls: number[] = [];
      for (let i = 0; i < 200; i++) {
        const started = performance.now();
        await client.callTool({ name: "everything__echo", arguments: { message: `call ${i}` } });
        calls.push(performance.now() - started);
      }
      report("call: everything__echo via /mcp (sequential)", calls.slice(20));
      await client.close();
    } finally {
      await gateway.stop();
    }
  } finally {
    await dir.cleanup();
  }
}

await main();
