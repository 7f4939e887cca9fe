/**
 * Bridge overhead: calls/s and p50/p99 latency of server-everything's `echo` over stdio, through
 * McpBridgePlugin versus the official SDK client used directly, at concurrency 1 and 16.
 *
 * The machine this runs on is often shared, so the paths are measured *paired*: every worker alternates
 * one call on each path, and all see the same load. calls/s is concurrency / mean latency.
 *
 * Every path has its own server process. When `direct` and `direct+` shared one, that server took two
 * calls in three and stayed warm (caches, scheduler) while the bridge's took one in three, which showed
 * up as ~8 us of "bridge cost" at concurrency 1 that was not the bridge's.
 *
 *   pnpm --filter @waygate/plugin-sdk bench        (BENCH_CALLS=4000 BENCH_WARMUP=5000 to change the load)
 */
import os from "node:os";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { McpBridgePlugin } from "../src/bridge/index.js";
import type { CallContext } from "../src/index.js";

const SERVER = fileURLToPath(import.meta.resolve("@modelcontextprotocol/server-everything/dist/index.js"));
const CALLS = Number(process.env.BENCH_CALLS ?? 4000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 5000);

type Call = (i: number) => Promise<unknown>;

/** Runs `calls` rounds spread over `concurrency` workers; each round calls every path once, in turn. */
async function measurePaired(paths: Record<string, Call>, concurrency: number, calls: number) {
  const latencies: Record<string, number[]> = Object.fromEntries(
    Object.keys(paths).map((name) => [name, []]),
  );
  const entries = Object.entries(paths);
  let next = 0;
  const worker = async (offset: number) => {
    while (next < calls) {
      const i = next++;
      for (let k = 0; k < entries.length; k++) {
        const [name, call] = entries[(k + offset + i) % entries.length]!;
        const t0 = performance.now();
        await call(i);
        latencies[name]!.push(performance.now() - t0);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  return Object.fromEntries(
    Object.entries(latencies).map(([name, values]) => {
      values.sort((a, b) => a - b);
      const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
      const pick = (q: number) => values[Math.min(values.length - 1, Math.floor(q * values.length))] ?? 0;
      return [name, { callsPerSecond: (concurrency * 1000) / mean, p50Ms: pick(0.5), p99Ms: pick(0.99) }];
    }),
  );
}

async function main(): Promise<void> {
  const connectDirect = async (name: string) => {
    const client = new Client({ name, version: "1.0.0" });
    await client.connect(
      new StdioClientTransport({ command: process.execPath, args: [SERVER, "stdio"], stderr: "pipe" }),
    );
    return client;
  };
  const direct = await connectDirect("bench-direct");
  const directPlus = await connectDirect("bench-direct-plus");
  const startBridge = async () => {
    const plugin = new McpBridgePlugin({
      name: "everything",
      transport: { type: "stdio", command: process.execPath, args: [SERVER, "stdio"] },
    });
    await plugin.start();
    return plugin;
  };
  // Each path has its own server process, so no path's server is warmer than another's.
  const bridge = await startBridge();
  const bridgePlus = await startBridge();
  // A host gives every call its own signal and request id; so does the benchmark. `bridge` is a caller that
  // asked for no progress (like `direct`); `bridge+` one that did (like `direct+`).
  const ctx = (i: number, wantsProgress: boolean): CallContext => ({
    signal: new AbortController().signal,
    caller: { keyId: "bench", scopes: [] },
    requestId: `bench-${i}`,
    reportProgress: () => {},
    wantsProgress,
  });
  const paths: Record<string, Call> = {
    direct: (i) => direct.callTool({ name: "echo", arguments: { message: `m${i}` } }),
    // What a host using the SDK directly must also pass to offer cancellation, a timeout and progress.
    "direct+": (i) =>
      directPlus.callTool(
        { name: "echo", arguments: { message: `m${i}` } },
        {
          signal: new AbortController().signal,
          timeout: 60_000,
          onprogress: () => {},
        },
      ),
    bridge: (i) => bridge.callTool("echo", { message: `m${i}` }, ctx(i, false)),
    "bridge+": (i) => bridgePlus.callTool("echo", { message: `m${i}` }, ctx(i, true)),
  };
  // Warm every server process and client path (JIT on each side) before measuring.
  await measurePaired(paths, 1, WARMUP);
  await measurePaired(paths, 16, WARMUP);

  console.log(`echo over stdio, ${CALLS} paired rounds per concurrency`);
  console.log(`load average ${os.loadavg()[0]?.toFixed(1)} on ${os.availableParallelism()} cores`);
  console.log("concurrency  path      calls/s    p50 ms   p99 ms");
  for (const concurrency of [1, 16]) {
    const results = await measurePaired(paths, concurrency, CALLS);
    for (const [name, r] of Object.entries(results)) {
      console.log(
        `${String(concurrency).padStart(11)}  ${name.padEnd(8)} ${r.callsPerSecond.toFixed(0).padStart(8)} ${r.p50Ms.toFixed(3).padStart(9)} ${r.p99Ms.toFixed(3).padStart(8)}`,
      );
    }
    for (const [path, baseline] of [
      ["bridge", "direct"],
      ["bridge+", "direct+"],
    ] as const) {
      const cost = 1 - results[path]!.callsPerSecond / results[baseline]!.callsPerSecond;
      console.log(
        `${String(concurrency).padStart(11)}  ${path} throughput cost vs ${baseline}: ${(cost * 100).toFixed(1)}% (target <= 5%)`,
      );
    }
  }
  await bridge.shutdown();
  await bridgePlus.shutdown();
  await direct.close();
  await directPlus.close();
}

await main();
