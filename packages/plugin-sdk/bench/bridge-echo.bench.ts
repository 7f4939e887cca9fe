/**
 * Bridge overhead: calls/s and p50/p99 latency of server-everything's `echo` over stdio, through
 * McpBridgePlugin versus the official SDK client used directly, at concurrency 1 and 16.
 *
 *   pnpm --filter @waygate/plugin-sdk bench            (BENCH_CALLS=2000 BENCH_ROUNDS=5 BENCH_WARMUP=5000 to change the load)
 */
import os from "node:os";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { McpBridgePlugin } from "../src/bridge/index.js";
import type { CallContext } from "../src/index.js";

const SERVER = fileURLToPath(import.meta.resolve("@modelcontextprotocol/server-everything/dist/index.js"));
const CALLS = Number(process.env.BENCH_CALLS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 5000);

type Call = (i: number) => Promise<unknown>;

interface Figures {
  callsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

async function measure(call: Call, concurrency: number, calls: number): Promise<Figures> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < calls) {
      const i = next++;
      const t0 = performance.now();
      await call(i);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pick = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { callsPerSecond: calls / elapsed, p50Ms: pick(0.5), p99Ms: pick(0.99) };
}

function median(values: Figures[], key: keyof Figures): number {
  const sorted = values.map((v) => v[key]).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  const direct = new Client({ name: "bench-direct", version: "1.0.0" });
  await direct.connect(
    new StdioClientTransport({ command: process.execPath, args: [SERVER, "stdio"], stderr: "pipe" }),
  );
  const bridge = new McpBridgePlugin({
    name: "everything",
    transport: { type: "stdio", command: process.execPath, args: [SERVER, "stdio"] },
  });
  await bridge.start();
  // A host gives every call its own signal and request id; so does the benchmark.
  const ctx = (i: number): CallContext => ({
    signal: new AbortController().signal,
    caller: { keyId: "bench", scopes: [] },
    requestId: `bench-${i}`,
    reportProgress: () => {},
  });
  const calls: Record<string, Call> = {
    direct: (i) => direct.callTool({ name: "echo", arguments: { message: `m${i}` } }),
    // What a host using the SDK directly must also pass to offer cancellation, a timeout and progress.
    "direct+": (i) =>
      direct.callTool({ name: "echo", arguments: { message: `m${i}` } }, undefined, {
        signal: new AbortController().signal,
        timeout: 60_000,
        onprogress: () => {},
      }),
    bridge: (i) => bridge.callTool("echo", { message: `m${i}` }, ctx(i)),
  };
  // Warm both paths and both server processes (JIT on each side) before measuring; a cold server
  // process is several times slower and would swamp the difference being measured.
  for (const call of Object.values(calls)) {
    await measure(call, 1, WARMUP);
    await measure(call, 16, WARMUP);
  }

  console.log(`echo over stdio, ${CALLS} calls per run, median of ${ROUNDS} interleaved runs`);
  console.log(
    `load average ${os.loadavg()[0]?.toFixed(1)} on ${os.availableParallelism()} cores (figures are noisy when busy)`,
  );
  console.log("concurrency  path     calls/s    p50 ms   p99 ms");
  for (const concurrency of [1, 16]) {
    const results: Record<string, Figures[]> = { direct: [], "direct+": [], bridge: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, call] of Object.entries(calls))
        results[name]!.push(await measure(call, concurrency, CALLS));
    }
    for (const name of Object.keys(calls)) {
      const r = results[name]!;
      console.log(
        `${String(concurrency).padStart(11)}  ${name.padEnd(7)} ${median(r, "callsPerSecond").toFixed(0).padStart(8)} ${median(r, "p50Ms").toFixed(3).padStart(9)} ${median(r, "p99Ms").toFixed(3).padStart(8)}`,
      );
    }
    for (const baseline of ["direct", "direct+"]) {
      const cost =
        1 - median(results.bridge!, "callsPerSecond") / median(results[baseline]!, "callsPerSecond");
      console.log(
        `${String(concurrency).padStart(11)}  bridge throughput cost vs ${baseline}: ${(cost * 100).toFixed(1)}% (target <= 5%)`,
      );
    }
  }
  await bridge.shutdown();
  await direct.close();
}

await main();
