// Benchmark: tools/call through Waygate's /mcp (auth, rate limit, audit and metrics on) versus direct stdio.
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? "3");
const WARMUP_MS = 500;
const everything = createRequire(import.meta.url).resolve(
  "@modelcontextprotocol/server-everything/dist/index.js",
);
const childScript = fileURLToPath(new URL("./gateway-child.mjs", import.meta.url));
const bareScript = fileURLToPath(new URL("./bare-child.mjs", import.meta.url));

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  calls: number;
}

interface Started {
  child: ChildProcess;
  url: string;
  key: string;
  readyMs: number;
  sinceSpawnMs: number;
}

async function startChild(upstreams: number, sync = "FULL", script = childScript): Promise<Started> {
  const child = spawn(process.execPath, [script], {
    env: {
      ...process.env,
      BENCH_UPSTREAMS: String(upstreams),
      BENCH_SYNC: sync,
      BENCH_SPAWNED_AT: String(Date.now()),
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`gateway child exited with ${code}`)));
  });
  return { child, ...(JSON.parse(line) as Omit<Started, "child">) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `concurrency` loops of calls for SECONDS after a warm-up; latency in milliseconds. */
async function measure(call: () => Promise<unknown>, concurrency: number): Promise<Figures> {
  const warmEnd = Date.now() + WARMUP_MS;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < warmEnd) await call();
    }),
  );
  const latencies: number[] = [];
  const started = performance.now();
  const end = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await call();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    calls: latencies.length,
  };
}

async function gatewayClient(url: string, key: string): Promise<Client> {
  const client = new Client({ name: "bench", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${key}` } },
    }),
  );
  return client;
}

async function directClient(): Promise<Client> {
  const client = new Client({ name: "bench-direct", version: "1.0.0" });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [everything, "stdio"] }));
  return client;
}

async function processFigures(url: string, key: string): Promise<{ rssMb: number; cpuSeconds: number }> {
  const res = await fetch(`${url}/diagnostics/performance`, { headers: { Authorization: `Bearer ${key}` } });
  const body = (await res.json()) as {
    memory: { rssBytes: number };
    cpuSeconds: { user: number; system: number };
  };
  return {
    rssMb: body.memory.rssBytes / 1024 / 1024,
    cpuSeconds: body.cpuSeconds.user + body.cpuSeconds.system,
  };
}

/** Mean server-side time of `POST /mcp` (from the gateway's own histogram), in milliseconds. */
async function serverSideMeanMs(url: string, key: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${key}` } })).text();
  const read = (suffix: string) =>
    Number(
      new RegExp(
        `waygate_http_request_duration_seconds_${suffix}\\{method="POST",route="/mcp",status="200"\\} (\\S+)`,
      ).exec(text)?.[1] ?? Number.NaN,
    );
  return (read("sum") / read("count")) * 1000;
}

const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");

async function main(): Promise<void> {
  const results: { target: string; concurrency: number; figures: Figures }[] = [];

  // Start to ready with three stdio upstreams (process spawn to ready() resolved).
  const three = await startChild(3);
  await stopChild(three.child);

  const gw = await startChild(1);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const idle = await processFigures(gw.url, gw.key);
  const idleRss = idle.rssMb;
  const client = await gatewayClient(gw.url, gw.key);
  const direct = await directClient();
  const args = { message: "benchmark" };
  try {
    for (const concurrency of [1, 16]) {
      results.push({
        target: "a: /mcp -> in-process plugin",
        concurrency,
        figures: await measure(() => client.callTool({ name: "local__echo", arguments: args }), concurrency),
      });
      results.push({
        target: "b: /mcp -> stdio everything",
        concurrency,
        figures: await measure(
          () => client.callTool({ name: "everything__echo", arguments: args }),
          concurrency,
        ),
      });
      results.push({
        target: "c: direct stdio everything",
        concurrency,
        figures: await measure(() => direct.callTool({ name: "echo", arguments: args }), concurrency),
      });
    }
    const loaded = await processFigures(gw.url, gw.key);

    // Baseline: the SDK's own Streamable HTTP server, no gateway, so the gateway's share of (a) is visible.
    const bare = await startChild(0, "FULL", bareScript);
    const bareClient = new Client({ name: "bench-bare", version: "1.0.0" });
    await bareClient.connect(new StreamableHTTPClientTransport(new URL(`${bare.url}/mcp`)));
    try {
      for (const concurrency of [1, 16]) {
        results.push({
          target: "d: bare SDK HTTP server",
          concurrency,
          figures: await measure(() => bareClient.callTool({ name: "echo", arguments: args }), concurrency),
        });
      }
    } finally {
      await bareClient.close();
      await stopChild(bare.child);
    }
    const serverMean = await serverSideMeanMs(gw.url, gw.key);
    const loadedRss = loaded.rssMb;
    const gatewayCalls = results
      .filter((r) => r.target.startsWith("a:") || r.target.startsWith("b:"))
      .reduce((sum, r) => sum + r.figures.calls, 0);
    const cpuPerCallMs = ((loaded.cpuSeconds - idle.cpuSeconds) * 1000) / gatewayCalls;

    // /health begins and rolls back a write transaction (so a locked database shows); what that costs.
    for (const concurrency of [1, 16]) {
      results.push({
        target: "h: GET /health (write probe)",
        concurrency,
        figures: await measure(async () => {
          const response = await fetch(`${gw.url}/health`);
          await response.arrayBuffer();
          if (response.status !== 200) throw new Error(`/health answered ${response.status}`);
        }, concurrency),
      });
    }

    // Same gateway with the audit database at synchronous=NORMAL (WAL): commits no longer fsync on the event loop.
    const normal = await startChild(1, "NORMAL");
    const normalClient = await gatewayClient(normal.url, normal.key);
    try {
      for (const concurrency of [1, 16]) {
        results.push({
          target: "a': a, audit sync NORMAL",
          concurrency,
          figures: await measure(
            () => normalClient.callTool({ name: "local__echo", arguments: args }),
            concurrency,
          ),
        });
        results.push({
          target: "b': b, audit sync NORMAL",
          concurrency,
          figures: await measure(
            () => normalClient.callTool({ name: "everything__echo", arguments: args }),
            concurrency,
          ),
        });
      }
    } finally {
      await normalClient.close();
      await stopChild(normal.child);
    }

    console.log(
      `\nWaygate tools/call benchmark (${SECONDS}s per cell after ${WARMUP_MS}ms warm-up, Node ${process.version})\n`,
    );
    console.log(
      `${"target".padEnd(32)} ${"conc".padStart(4)} ${"req/s".padStart(9)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"calls".padStart(7)}`,
    );
    console.log("-".repeat(73));
    for (const { target, concurrency, figures } of results) {
      console.log(
        `${target.padEnd(32)} ${String(concurrency).padStart(4)} ${fmt(figures.rps, 0).padStart(9)} ${fmt(figures.p50).padStart(8)} ${fmt(figures.p99).padStart(8)} ${String(figures.calls).padStart(7)}`,
      );
    }
    const cell = (prefix: string, c: number) =>
      results.find((r) => r.target.startsWith(prefix) && r.concurrency === c)!.figures;
    const ratio16 = cell("b:", 16).rps / cell("c:", 16).rps;
    const ratio1 = cell("b:", 1).rps / cell("c:", 1).rps;
    const addedP50 = cell("b:", 1).p50 - cell("c:", 1).p50;
    const ratio16Normal = cell("b'", 16).rps / cell("c:", 16).rps;
    const addedP50Normal = cell("b'", 1).p50 - cell("c:", 1).p50;
    console.log("\nFigure                                   measured     target");
    console.log("-".repeat(62));
    console.log(
      `b/c req/s at concurrency 16              ${fmt(ratio16 * 100, 0).padStart(5)} %     >= 50 %`,
    );
    console.log(`b/c req/s at concurrency 1               ${fmt(ratio1 * 100, 0).padStart(5)} %`);
    console.log(`added p50 at concurrency 1 (b - c)       ${fmt(addedP50).padStart(5)} ms    <= 0.5 ms`);
    console.log(
      `b'/c req/s at concurrency 16 (NORMAL)    ${fmt(ratio16Normal * 100, 0).padStart(5)} %     >= 50 %`,
    );
    console.log(
      `added p50 at concurrency 1 (b' - c)      ${fmt(addedP50Normal).padStart(5)} ms    <= 0.5 ms`,
    );
    console.log(`idle RSS of the gateway process          ${fmt(idleRss, 0).padStart(5)} MB    <= 120 MB`);
    console.log(`RSS after the load                       ${fmt(loadedRss, 0).padStart(5)} MB`);
    console.log(`gateway CPU per call (a+b, incl. warm-up) ${fmt(cpuPerCallMs).padStart(5)} ms`);
    console.log(`gateway-side mean time of POST /mcp      ${fmt(serverMean).padStart(5)} ms`);
    console.log(
      `start to ready, 3 stdio upstreams        ${fmt(three.readyMs, 0).padStart(5)} ms    <= 1500 ms (createGateway to ready)`,
    );
    console.log(`  same, from process spawn               ${fmt(three.sinceSpawnMs, 0).padStart(5)} ms`);
  } finally {
    await client.close();
    await direct.close();
    await stopChild(gw.child);
  }
}

// The SDK client's fetches leave abort listeners on one long-lived signal until GC; the warning is client-side noise.
process.removeAllListeners("warning");
process.on("warning", (warning) => {
  if (warning.name !== "MaxListenersExceededWarning") console.warn(warning);
});

await main();
