/**
 * `pnpm soak`: runs a `waygate start` process with two stdio upstreams (server-everything and the fault
 * fixture) and keeps CONCURRENCY mixed calls in flight (MCP tools/call and tools/list, REST execute) for
 * SOAK_SECONDS. Prints latency percentiles per interval, the error count and RSS at start and end.
 * RSS is also sampled every 2 s: under load it swings by a quarter between collections, so growth is judged on the
 * median of the first interval's samples against the last interval's. Exits 1 when any call failed or that median
 * grew by 10% or more. Not part of CI.
 *
 *   SOAK_SECONDS=300 (default)  CONCURRENCY=100 (default)  SOAK_INTERVAL_SECONDS=60 (10 when shorter than 2 min)
 *   SOAK_WARMUP_SECONDS=60 (default): full load before measuring starts; on a busy machine RSS takes most of a minute
 *   to reach its working size (in-flight calls pile up while the CPU is short)
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { type GatewayProcess, rssBytes, startGatewayProcess, waitFor } from "../src/gateway-process.js";
import { callTool, connectClient, execute } from "../src/mcp-client.js";
import { everythingServer, faultUpstreamServer } from "../src/paths.js";
import { createWorkspace, SECRET_KEY, type Workspace } from "../src/workspace.js";

const seconds = Number(process.env.SOAK_SECONDS ?? 300);
const concurrency = Number(process.env.CONCURRENCY ?? 100);
const warmupSeconds = Number(process.env.SOAK_WARMUP_SECONDS ?? 60);
const intervalSeconds = Number(process.env.SOAK_INTERVAL_SECONDS ?? (seconds < 120 ? 10 : 60));
const MB = 1024 * 1024;

interface Interval {
  latencies: number[];
  errors: number;
  rssMb?: number;
  heapMb?: number;
}

/** The gateway's heap in use, from its admin diagnostics (tells JS heap growth from allocator slack). */
async function heapUsedMb(url: string, adminKey: string): Promise<number | undefined> {
  const response = await fetch(`${url}/diagnostics/performance`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  const body = (await response.json()) as { memory?: { heapUsedBytes?: number } };
  return body.memory?.heapUsedBytes === undefined ? undefined : body.memory.heapUsedBytes / MB;
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0);

/** One mixed call; resolves with an error description, or undefined when it succeeded. */
async function mixedCall(url: string, key: string, client: Client, n: number): Promise<string | undefined> {
  switch (n % 5) {
    case 0: {
      const outcome = await callTool(client, "everything__echo", { message: `soak ${n}` }, 30_000);
      return outcome.isError || !outcome.text.includes(`soak ${n}`)
        ? `everything__echo: ${outcome.text}`
        : undefined;
    }
    case 1: {
      const outcome = await callTool(client, "work__work", { ms: n % 20 }, 30_000);
      return outcome.isError ? `work__work: ${outcome.text}` : undefined;
    }
    case 2: {
      const result = await execute(url, key, "work__echo", { text: `rest ${n}` });
      return result.status === 200
        ? undefined
        : `REST work__echo: ${result.status} ${result.body.error?.message}`;
    }
    case 3: {
      const result = await execute(url, key, "everything__get-sum", { a: n, b: 1 });
      return result.status === 200 && !result.body.result?.isError
        ? undefined
        : `REST everything__get-sum: ${result.status} ${JSON.stringify(result.body).slice(0, 200)}`;
    }
    default: {
      const tools = await client.listTools();
      return tools.tools.length > 10 ? undefined : `tools/list gave ${tools.tools.length} tools`;
    }
  }
}

async function main(): Promise<void> {
  let ws: Workspace | undefined;
  let gateway: GatewayProcess | undefined;
  const clients: Client[] = [];
  const stop = async () => {
    // Each step runs even if an earlier one fails, so no process or temp folder outlives the soak.
    await Promise.allSettled(clients.map((client) => client.close()));
    await gateway?.stop("SIGTERM").catch(() => gateway?.stop("SIGKILL"));
    await ws?.cleanup().catch((error: unknown) => console.error(`could not remove ${ws?.dir}: ${error}`));
  };
  process.once("SIGINT", () => void stop().then(() => process.exit(130)));
  try {
    ws = await createWorkspace();
    await ws.writeConfig({
      gateway: { logLevel: "warn", rateLimit: { windowMs: 60_000, limit: 10_000_000 } },
      mcpServers: { everything: everythingServer(), work: faultUpstreamServer() },
    });
    gateway = await startGatewayProcess({
      cwd: ws.dir,
      env: { DATABASE_URL: ws.databaseUrl, WAYGATE_SECRET_KEY: SECRET_KEY, WAYGATE_CONFIG: "waygate.json" },
    });
    const url = gateway.url;
    await waitFor("both upstreams ready", async () =>
      (await fetch(`${url}/ready`)).status === 200 ? true : undefined,
    );
    const key = ws.keys.caller;
    for (let i = 0; i < 10; i++) clients.push(await connectClient(url, key));

    // Warm-up at full concurrency, so the starting RSS is the working size, not the idle size.
    const runFor = async (ms: number, record: (ms: number, error?: string) => void) => {
      const end = Date.now() + ms;
      let n = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async (_, worker) => {
          while (Date.now() < end) {
            const count = n++;
            const started = performance.now();
            const error = await mixedCall(url, key, clients[worker % clients.length]!, count).catch(
              (caught: unknown) => `threw: ${(caught as Error).message}`,
            );
            record(performance.now() - started, error);
          }
        }),
      );
    };
    console.log(`soak: ${seconds} s at ${concurrency} concurrent mixed calls through 2 upstreams (${url})`);
    await runFor(warmupSeconds * 1000, () => {});
    const rssStart = await rssBytes(gateway.pid);
    const started = Date.now();
    const intervals: Interval[] = [];
    const firstErrors: string[] = [];
    const pid = gateway.pid;
    const adminKey = ws.keys.admin;
    // Memory at the end of each interval, sampled off the call path.
    const rssSamples: { at: number; mb: number }[] = [];
    const rssSampler = setInterval(async () => {
      rssSamples.push({ at: Date.now() - started, mb: (await rssBytes(pid).catch(() => 0)) / MB });
    }, 2000);
    const sampler = setInterval(async () => {
      const index = Math.floor((Date.now() - started) / (intervalSeconds * 1000)) - 1;
      const interval = intervals[index];
      if (!interval || interval.rssMb !== undefined) return;
      interval.rssMb = (await rssBytes(pid).catch(() => 0)) / MB;
      interval.heapMb = await heapUsedMb(url, adminKey).catch(() => undefined);
    }, 500);
    await runFor(seconds * 1000, (ms, error) => {
      // Calls still in flight at the end count towards the last interval.
      const last = Math.ceil(seconds / intervalSeconds) - 1;
      const index = Math.min(last, Math.floor((Date.now() - started) / (intervalSeconds * 1000)));
      intervals[index] ??= { latencies: [], errors: 0 };
      const interval = intervals[index];
      interval.latencies.push(ms);
      if (error) {
        interval.errors++;
        if (firstErrors.length < 5) firstErrors.push(error);
      }
    });
    clearInterval(sampler);
    clearInterval(rssSampler);
    const rssEnd = await rssBytes(gateway.pid);
    const lastInterval = intervals[intervals.length - 1];
    if (lastInterval && lastInterval.rssMb === undefined) {
      lastInterval.rssMb = rssEnd / MB;
      lastInterval.heapMb = await heapUsedMb(url, adminKey).catch(() => undefined);
    }

    console.log(
      `\ninterval   calls   calls/s   errors   p50 ms   p95 ms   p99 ms   max ms   RSS MB  heap MB`,
    );
    let total = 0;
    let errors = 0;
    intervals.forEach((interval, index) => {
      const sorted = [...interval.latencies].sort((a, b) => a - b);
      total += sorted.length;
      errors += interval.errors;
      const row = [
        `${index * intervalSeconds}-${(index + 1) * intervalSeconds}s`.padEnd(9),
        String(sorted.length).padStart(7),
        (sorted.length / intervalSeconds).toFixed(0).padStart(9),
        String(interval.errors).padStart(8),
        ...[50, 95, 99, 100].map((p) => percentile(sorted, p).toFixed(1).padStart(8)),
        (interval.rssMb?.toFixed(1) ?? "-").padStart(8),
        (interval.heapMb?.toFixed(1) ?? "-").padStart(8),
      ];
      console.log(row.join(" "));
    });
    const growth = (rssEnd - rssStart) / rssStart;
    console.log(`\ncalls ${total}, errors ${errors}`);
    console.log(
      `RSS start ${(rssStart / MB).toFixed(1)} MB, end ${(rssEnd / MB).toFixed(1)} MB (${(growth * 100).toFixed(1)}%; target < 10%)`,
    );
    // Growth that stops after the first interval is the heap reaching its working size, not a leak.
    const settled = intervals[0]?.rssMb;
    if (settled !== undefined && intervals.length > 1) {
      const later = ((rssEnd / MB - settled) / settled) * 100;
      console.log(
        `RSS after the first interval ${settled.toFixed(1)} MB -> end ${(rssEnd / MB).toFixed(1)} MB (${later.toFixed(1)}%)`,
      );
    }
    const medianOf = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    const intervalMs = intervalSeconds * 1000;
    const lastStart = (Math.ceil(seconds / intervalSeconds) - 1) * intervalMs;
    const firstMedian = medianOf(rssSamples.filter((s) => s.at > 0 && s.at <= intervalMs).map((s) => s.mb));
    const lastMedian = medianOf(rssSamples.filter((s) => s.at > lastStart && s.mb > 0).map((s) => s.mb));
    const medianGrowth = firstMedian > 0 ? (lastMedian - firstMedian) / firstMedian : Number.NaN;
    console.log(
      `RSS median of the first interval ${firstMedian.toFixed(1)} MB -> last interval ${lastMedian.toFixed(1)} MB ` +
        `(${(medianGrowth * 100).toFixed(1)}%; target < 10%; ${rssSamples.length} samples every 2 s, ` +
        `min ${Math.min(...rssSamples.map((s) => s.mb)).toFixed(1)}, max ${Math.max(...rssSamples.map((s) => s.mb)).toFixed(1)})`,
    );
    for (const error of firstErrors) console.log(`error: ${error}`);
    const ok = errors === 0 && medianGrowth < 0.1;
    console.log(ok ? "soak: PASS" : "soak: FAIL");
    process.exitCode = ok ? 0 : 1;
  } finally {
    await stop();
  }
}

await main();
