// Benchmark: tools/call through Waygate's /mcp (auth, rate limit, audit and metrics on) versus direct stdio.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernHTTPClientTransport,
} from "@modelcontextprotocol/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { type Baseline, prepareBaseline } from "../../../bench/baseline.js";
import { leanSseClient, type PeerName, startPeer } from "./peers.js";
import { measureScale, SCALE_CLIENTS, type ScaleFigures } from "./scale.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? "3");
const WARMUP_MS = 500;
const everything = createRequire(import.meta.url).resolve(
  "@modelcontextprotocol/server-everything/dist/index.js",
);
const childScript = fileURLToPath(new URL("./gateway-child.mjs", import.meta.url));
const bareScript = fileURLToPath(new URL("./bare-child.mjs", import.meta.url));
const noopScript = fileURLToPath(new URL("./noop-child.mjs", import.meta.url));
const expressScript = fileURLToPath(new URL("./express-child.mjs", import.meta.url));

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  calls: number;
  /** CPU milliseconds (user + system) the front process spent per call in the window; NaN when not measured. */
  cpuMsPerCall: number;
}

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ; 100 on Linux builds). */
const TICKS_PER_SECOND = Number(process.env.BENCH_CLK_TCK ?? "100");

/**
 * CPU time of one process (user + system, its own threads only: children such as a stdio upstream are not in
 * these fields), in milliseconds. Far steadier than wall time on a shared machine.
 */
function cpuMsOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may hold spaces; utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

interface Started {
  child: ChildProcess;
  url: string;
  key: string;
  readyMs: number;
  sinceSpawnMs: number;
}

/** Starts a benchmark server process; `env` picks the gateway's settings (BENCH_SYNC, BENCH_RESPONSE_MODE). */
async function startChild(
  upstreams: number,
  env: Record<string, string> = {},
  script = childScript,
): Promise<Started> {
  const child = spawn(process.execPath, [script], {
    env: {
      ...process.env,
      BENCH_UPSTREAMS: String(upstreams),
      BENCH_SPAWNED_AT: String(Date.now()),
      ...env,
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

/** Runs `concurrency` loops of calls for SECONDS after a warm-up; latency in milliseconds; CPU of `pid`. */
async function measure(call: () => Promise<unknown>, concurrency: number, pid?: number): Promise<Figures> {
  const warmEnd = Date.now() + WARMUP_MS;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < warmEnd) await call();
    }),
  );
  const latencies: number[] = [];
  const cpuBefore = cpuMsOf(pid);
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
  const cpuSpent = cpuMsOf(pid) - cpuBefore;
  latencies.sort((a, b) => a - b);
  return {
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    calls: latencies.length,
    cpuMsPerCall: cpuSpent / latencies.length,
  };
}

async function httpClient(url: string, key: string): Promise<Client> {
  return endpointClient(`${url}/mcp`, key);
}

/** The SDK (v1) client over Streamable HTTP at `endpoint`, with the key as a bearer token when there is one. */
async function endpointClient(endpoint: string, key: string): Promise<Client> {
  const client = new Client({ name: "bench", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(endpoint), {
      requestInit: key ? { headers: { Authorization: `Bearer ${key}` } } : {},
    }),
  );
  return client;
}

/** What the benchmark calls tools with. */
interface ToolCaller {
  callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * A minimal MCP client over HTTP: keep-alive sockets, one JSON-RPC body per call, no schema checks. The SDK client
 * spends about 0.4 ms of CPU per call on this machine; this one shows the server's own cost without it.
 */
async function leanClient(url: string, key: string): Promise<ToolCaller> {
  return leanEndpointClient(`${url}/mcp`, key);
}

async function leanEndpointClient(endpoint: string, key: string): Promise<ToolCaller> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    ...(key ? { authorization: `Bearer ${key}` } : {}),
  };
  const post = (message: unknown) =>
    new Promise<{ status: number; session: unknown; text: string }>((resolve, reject) => {
      const body = JSON.stringify(message);
      const req = http.request(
        endpoint,
        { method: "POST", agent, headers: { ...headers, "content-length": Buffer.byteLength(body) } },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            text += chunk;
          });
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, session: res.headers["mcp-session-id"], text }),
          );
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  const init = await post({
    jsonrpc: "2.0",
    id: 0,
    method: "initialize",
    params: {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "bench-lean", version: "1.0.0" },
    },
  });
  if (typeof init.session === "string") headers["mcp-session-id"] = init.session;
  headers["mcp-protocol-version"] = "2025-06-18";
  await post({ jsonrpc: "2.0", method: "notifications/initialized" });
  let id = 1;
  return {
    async callTool(params) {
      const res = await post({ jsonrpc: "2.0", id: id++, method: "tools/call", params });
      if (res.status !== 200 || !res.text.includes('"result"')) {
        throw new Error(`tools/call answered ${res.status}: ${res.text.slice(0, 200)}`);
      }
    },
    async close() {
      agent.destroy();
    },
  };
}

/** The minimal client speaking 2026-07-28: no handshake, each call self-contained (headers and `_meta` envelope). */
async function modernLeanClient(url: string, key: string): Promise<ToolCaller> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const meta = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientInfo": { name: "bench-lean-modern", version: "1.0.0" },
    "io.modelcontextprotocol/clientCapabilities": {},
  };
  let id = 1;
  return {
    callTool: (params) =>
      new Promise<void>((resolve, reject) => {
        const body = JSON.stringify({
          jsonrpc: "2.0",
          id: id++,
          method: "tools/call",
          params: { ...params, _meta: meta },
        });
        const req = http.request(
          `${url}/mcp`,
          {
            method: "POST",
            agent,
            headers: {
              "content-type": "application/json",
              accept: "application/json, text/event-stream",
              "mcp-protocol-version": "2026-07-28",
              "mcp-method": "tools/call",
              "mcp-name": params.name,
              ...(key ? { authorization: `Bearer ${key}` } : {}),
              "content-length": Buffer.byteLength(body),
            },
          },
          (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => {
              text += chunk;
            });
            res.on("end", () =>
              res.statusCode === 200 && text.includes('"result"')
                ? resolve()
                : reject(new Error(`tools/call answered ${res.statusCode}: ${text.slice(0, 200)}`)),
            );
          },
        );
        req.on("error", reject);
        req.end(body);
      }),
    async close() {
      agent.destroy();
    },
  };
}

/** The SDK's v2 client pinned to 2026-07-28: no handshake, every call carries its own envelope. */
async function modernSdkClient(url: string, key: string): Promise<ToolCaller> {
  const client = new ModernClient(
    { name: "bench-modern", version: "1.0.0" },
    { versionNegotiation: { mode: { pin: "2026-07-28" } } },
  );
  await client.connect(
    new ModernHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: key ? { headers: { Authorization: `Bearer ${key}` } } : {},
    }),
  );
  if (client.getProtocolEra() !== "modern") throw new Error("the v2 client did not settle on 2026-07-28");
  return { callTool: (params) => client.callTool(params), close: () => client.close() };
}

async function directClient(): Promise<{
  callTool: Client["callTool"];
  close(): Promise<void>;
  pid?: number;
}> {
  const client = new Client({ name: "bench-direct", version: "1.0.0" });
  const transport = new StdioClientTransport({ command: process.execPath, args: [everything, "stdio"] });
  await client.connect(transport);
  return {
    callTool: (params) => client.callTool(params),
    close: () => client.close(),
    ...(transport.pid === null ? {} : { pid: transport.pid }),
  };
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

type Row = { target: string; concurrency: number; figures: Figures };

/** Measures `tool` on a server process started with `env` at concurrency 1 and 16, then stops it. */
async function measureServer(
  rows: Row[],
  label: string,
  tool: string,
  start: () => Promise<Started>,
  connect: (url: string, key: string) => Promise<ToolCaller> = httpClient,
): Promise<void> {
  console.error(`measuring ${label}`);
  const server = await start();
  const client = await connect(server.url, server.key);
  try {
    for (const concurrency of [1, 16]) {
      rows.push({
        target: label,
        concurrency,
        figures: await measure(
          () => client.callTool({ name: tool, arguments: ARGS }),
          concurrency,
          server.child.pid,
        ),
      });
    }
  } finally {
    await client.close();
    await stopChild(server.child);
  }
}

const ARGS = { message: "benchmark" };

/** The peer gateways measured beside Waygate (BENCH_PEERS=0 leaves them out of a quick run). */
const PEERS: PeerName[] = ["mcp-hub", "supergateway", "mcp-proxy"];

/** The SDK (v1) client over legacy SSE (GET the stream, POST to the endpoint it names). */
async function sseClient(endpoint: string): Promise<ToolCaller> {
  const client = new Client({ name: "bench", version: "1.0.0" });
  await client.connect(new SSEClientTransport(new URL(endpoint)));
  return { callTool: (params) => client.callTool(params), close: () => client.close() };
}

/** Connects, trying twice more after a short pause: a peer busy closing the last client may hang up on the next. */
async function connectRetrying(connect: () => Promise<ToolCaller>): Promise<ToolCaller> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect();
    } catch (error) {
      if (attempt >= 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** A peer's rows: the SDK client and the lean client, each at concurrency 1 and 16, CPU of the peer's process. */
async function measurePeer(rows: Row[], name: PeerName): Promise<void> {
  const peer = await startPeer(name, everything);
  try {
    const clients: Array<[string, () => Promise<ToolCaller>]> = [
      [
        `p: ${peer.label}`,
        () => (peer.transport === "sse" ? sseClient(peer.endpoint) : endpointClient(peer.endpoint, "")),
      ],
      [
        `p-lean: ${peer.label}`,
        () =>
          peer.transport === "sse" ? leanSseClient(peer.endpoint) : leanEndpointClient(peer.endpoint, ""),
      ],
    ];
    for (const [label, connect] of clients) {
      console.error(`measuring ${label}`);
      const client = await connectRetrying(connect);
      try {
        for (const concurrency of [1, 16]) {
          rows.push({
            target: label,
            concurrency,
            figures: await measure(
              () => client.callTool({ name: peer.tool, arguments: ARGS }),
              concurrency,
              peer.child.pid,
            ),
          });
        }
      } finally {
        await client.close();
      }
    }
  } finally {
    await peer.stop();
  }
}

/** The gateway process script of a baseline checkout (BENCH_BASELINE=<git ref>), built beside this tree. */
function baselineGateway(ref: string): Baseline & { script: string } {
  const baseline = prepareBaseline(ref, "@waygate/server...");
  const script = join(baseline.dir, "packages/server/bench/gateway-child.mjs");
  if (!existsSync(script)) {
    baseline.remove();
    throw new Error(`${ref} has no packages/server/bench/gateway-child.mjs to start its gateway with`);
  }
  return { ...baseline, script };
}

async function main(): Promise<void> {
  const results: Row[] = [];
  const baseline = process.env.BENCH_BASELINE ? baselineGateway(process.env.BENCH_BASELINE) : undefined;

  // Start to ready with three stdio upstreams (process spawn to ready() resolved).
  const three = await startChild(3);
  await stopChild(three.child);

  // The gateway as shipped: default settings (audit at synchronous=normal, mcpResponseMode auto).
  const gw = await startChild(1);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const idle = await processFigures(gw.url, gw.key);
  const idleRss = idle.rssMb;
  const client = await httpClient(gw.url, gw.key);
  const direct = await directClient();
  try {
    for (const concurrency of [1, 16]) {
      results.push({
        target: "a: /mcp -> in-process plugin",
        concurrency,
        figures: await measure(
          () => client.callTool({ name: "local__echo", arguments: ARGS }),
          concurrency,
          gw.child.pid,
        ),
      });
      results.push({
        target: "b: /mcp -> stdio everything",
        concurrency,
        figures: await measure(
          () => client.callTool({ name: "everything__echo", arguments: ARGS }),
          concurrency,
          gw.child.pid,
        ),
      });
      results.push({
        target: "c: direct stdio everything",
        concurrency,
        // The front process of direct stdio is server-everything itself.
        figures: await measure(
          () => direct.callTool({ name: "echo", arguments: ARGS }),
          concurrency,
          direct.pid,
        ),
      });
    }
    const loaded = await processFigures(gw.url, gw.key);
    const serverMean = await serverSideMeanMs(gw.url, gw.key);
    const loadedRss = loaded.rssMb;
    const gatewayCalls = results
      .filter((r) => r.target.startsWith("a:") || r.target.startsWith("b:"))
      .reduce((sum, r) => sum + r.figures.calls, 0);
    const cpuPerCallMs = ((loaded.cpuSeconds - idle.cpuSeconds) * 1000) / gatewayCalls;

    // The floor of any HTTP hop with this client: a server that answers with canned JSON and does nothing else.
    await measureServer(results, "e: no-op HTTP server (floor)", "echo", () => startChild(0, {}, noopScript));
    // The same two without the SDK client's own cost: the gateway's b, and the floor, with a minimal HTTP client.
    await measureServer(
      results,
      "b-lean: b, minimal HTTP client",
      "everything__echo",
      () => startChild(1),
      leanClient,
    );
    // b-lean speaking 2026-07-28: no session, one JSON answer per call.
    await measureServer(
      results,
      "m-lean: b-lean, 2026-07-28",
      "everything__echo",
      () => startChild(1),
      modernLeanClient,
    );
    await measureServer(
      results,
      "e-lean: e, minimal HTTP client",
      "echo",
      () => startChild(0, {}, noopScript),
      leanClient,
    );
    // The floor of an Express app: express.json() and one route answering with canned JSON.
    await measureServer(
      results,
      "f-lean: bare Express, minimal client",
      "echo",
      () => startChild(0, {}, expressScript),
      leanClient,
    );
    // The SDK's own Streamable HTTP server, no gateway around it.
    await measureServer(results, "d: bare SDK HTTP server", "echo", () => startChild(0, {}, bareScript));
    // The gateway streaming every POST through the SDK transport (mcpResponseMode sse, the default before auto).
    await measureServer(results, "b-sse: b, mcpResponseMode sse", "everything__echo", () =>
      startChild(1, { BENCH_RESPONSE_MODE: "sse" }),
    );
    // The gateway with the audit fsynced at every commit (synchronous=full).
    await measureServer(results, "b-full: b, audit sync FULL", "everything__echo", () =>
      startChild(1, { BENCH_SYNC: "FULL" }),
    );

    // b with the SDK's v2 client speaking 2026-07-28 (m-lean's counterpart with the SDK's own cost).
    await measureServer(
      results,
      "m: b, 2026-07-28, SDK v2 client",
      "everything__echo",
      () => startChild(1),
      modernSdkClient,
    );
    if (process.env.BENCH_PEERS !== "0") for (const name of PEERS) await measurePeer(results, name);

    // Many clients at once, in each era, on a gateway allowed that many sessions (BENCH_SCALE=0 skips).
    const scale: ScaleFigures[] = [];
    if (process.env.BENCH_SCALE !== "0") {
      const big = await startChild(1, { BENCH_MAX_SESSIONS: String(SCALE_CLIENTS + 100) });
      try {
        scale.push(await measureScale(big, "2025 sessions", SECONDS));
        scale.push(await measureScale(big, "2026-07-28 clients", SECONDS));
      } finally {
        await stopChild(big.child);
      }
    }

    if (baseline) {
      // The same rows on the baseline commit's gateway, in this run, so CPU per call compares like with like.
      await measureServer(results, `b@base: b on ${baseline.ref}`, "everything__echo", () =>
        startChild(1, {}, baseline.script),
      );
      await measureServer(
        results,
        `b-lean@base: b-lean on ${baseline.ref}`,
        "everything__echo",
        () => startChild(1, {}, baseline.script),
        leanClient,
      );
    }

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

    console.log(
      `\nWaygate tools/call benchmark (${SECONDS}s per cell after ${WARMUP_MS}ms warm-up, Node ${process.version})\n`,
    );
    console.log(
      `${"target".padEnd(32)} ${"conc".padStart(4)} ${"req/s".padStart(9)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"calls".padStart(7)} ${"cpu ms/call".padStart(12)}`,
    );
    console.log("-".repeat(86));
    for (const { target, concurrency, figures } of results) {
      console.log(
        `${target.padEnd(32)} ${String(concurrency).padStart(4)} ${fmt(figures.rps, 0).padStart(9)} ${fmt(figures.p50).padStart(8)} ${fmt(figures.p99).padStart(8)} ${String(figures.calls).padStart(7)} ${fmt(figures.cpuMsPerCall, 3).padStart(12)}`,
      );
    }
    console.log("cpu ms/call: CPU time of the front process (gateway, or the server itself for c) per call");
    if (scale.length > 0) {
      console.log(
        `\n${"scale".padEnd(20)} ${"clients".padStart(7)} ${"RSS before".padStart(11)} ${"RSS after".padStart(10)} ${"kB/client".padStart(10)} ${"req/s, 16".padStart(10)} ${"req/s, all".padStart(11)}`,
      );
      for (const row of scale) {
        console.log(
          `${row.era.padEnd(20)} ${String(row.clients).padStart(7)} ${`${fmt(row.rssBeforeMb, 0)} MB`.padStart(11)} ${`${fmt(row.rssAfterMb, 0)} MB`.padStart(10)} ${fmt(row.kbPerClient, 1).padStart(10)} ${fmt(row.rpsFew, 0).padStart(10)} ${fmt(row.rpsAll, 0).padStart(11)}`,
        );
      }
      console.log("req/s: 16 calls in flight, spread over 16 of the clients, then over all of them");
    }
    const cell = (prefix: string, c: number) =>
      results.find((r) => r.target.startsWith(prefix) && r.concurrency === c)!.figures;
    const pct = (n: number) => `${fmt(n * 100, 0).padStart(5)} %`;
    const ms = (n: number) => `${fmt(n).padStart(5)} ms`;
    const line = (label: string, value: string, target = "") =>
      console.log(`${label.padEnd(46)} ${value.padStart(9)}    ${target}`);
    console.log(`\n${"Figure".padEnd(46)} ${"measured".padStart(9)}    target`);
    console.log("-".repeat(72));
    line("b/c req/s at concurrency 16", pct(cell("b:", 16).rps / cell("c:", 16).rps), ">= 50 %");
    line("  floor: e/c req/s at concurrency 16", pct(cell("e:", 16).rps / cell("c:", 16).rps));
    line("  b/e req/s at concurrency 16", pct(cell("b:", 16).rps / cell("e:", 16).rps));
    line("  b-sse/c req/s at concurrency 16", pct(cell("b-sse", 16).rps / cell("c:", 16).rps));
    line("  b-lean/c req/s at concurrency 16", pct(cell("b-lean", 16).rps / cell("c:", 16).rps));
    line("  b-lean/e-lean req/s at concurrency 16", pct(cell("b-lean", 16).rps / cell("e-lean", 16).rps));
    line("  f-lean/c req/s at concurrency 16", pct(cell("f-lean", 16).rps / cell("c:", 16).rps));
    line("added p50 at concurrency 1 (b - c)", ms(cell("b:", 1).p50 - cell("c:", 1).p50), "<= 0.5 ms");
    line("  floor: e - c p50 at concurrency 1", ms(cell("e:", 1).p50 - cell("c:", 1).p50));
    line("  b - e p50 at concurrency 1", ms(cell("b:", 1).p50 - cell("e:", 1).p50));
    line("  b-lean - c p50 at concurrency 1", ms(cell("b-lean", 1).p50 - cell("c:", 1).p50));
    line("  b-lean - e-lean p50 at concurrency 1", ms(cell("b-lean", 1).p50 - cell("e-lean", 1).p50));
    line("  f-lean - c p50 at concurrency 1", ms(cell("f-lean", 1).p50 - cell("c:", 1).p50));
    line("  b-sse - c p50 at concurrency 1", ms(cell("b-sse", 1).p50 - cell("c:", 1).p50));
    line("idle RSS of the gateway process", `${fmt(idleRss, 0).padStart(5)} MB`, "<= 120 MB");
    line("RSS after the load", `${fmt(loadedRss, 0).padStart(5)} MB`);
    line("gateway CPU per call (a+b, incl. warm-up)", ms(cpuPerCallMs));
    for (const c of [1, 16]) {
      line(`  b: gateway CPU per call at concurrency ${c}`, ms(cell("b:", c).cpuMsPerCall));
      line(`  b-lean: gateway CPU per call at concurrency ${c}`, ms(cell("b-lean", c).cpuMsPerCall));
      if (baseline) {
        line(`  b@base: same on ${baseline.ref}`, ms(cell("b@base", c).cpuMsPerCall), "b <= b@base");
        line(`  b-lean@base: same on ${baseline.ref}`, ms(cell("b-lean@base", c).cpuMsPerCall));
      }
    }
    const peerRows = (prefix: string, c: number) =>
      results.filter((r) => r.target.startsWith(prefix) && r.concurrency === c);
    const leanest = (prefix: string, c: number, of: (f: Figures) => number) =>
      peerRows(prefix, c).reduce<Row | undefined>(
        (best, r) => (best === undefined || of(r.figures) < of(best.figures) ? r : best),
        undefined,
      );
    for (const c of [1, 16]) {
      const sdkPeer = leanest("p: ", c, (f) => f.cpuMsPerCall);
      const leanPeer = leanest("p-lean: ", c, (f) => f.cpuMsPerCall);
      if (!sdkPeer || !leanPeer) continue;
      line(
        `leanest peer, SDK client, CPU/call at ${c}`,
        ms(sdkPeer.figures.cpuMsPerCall),
        sdkPeer.target.slice(3),
      );
      line(`  b (2025 session), same`, ms(cell("b:", c).cpuMsPerCall), "below the leanest peer");
      line(`  m (2026-07-28), same`, ms(cell("m:", c).cpuMsPerCall), "below the leanest peer");
      line(
        `leanest peer, lean client, CPU/call at ${c}`,
        ms(leanPeer.figures.cpuMsPerCall),
        leanPeer.target.slice(8),
      );
      line(`  b-lean, same`, ms(cell("b-lean", c).cpuMsPerCall), "below the leanest peer");
      line(`  m-lean, same`, ms(cell("m-lean", c).cpuMsPerCall), "below the leanest peer");
    }
    const fastest = leanest("p: ", 1, (f) => f.p50);
    if (fastest) {
      line("fastest peer p50 at concurrency 1, SDK client", ms(fastest.figures.p50), fastest.target.slice(3));
      line("  b p50, same", ms(cell("b:", 1).p50), "at or below");
      line("  m p50, same", ms(cell("m:", 1).p50), "at or below");
    }
    line("gateway-side mean time of POST /mcp", ms(serverMean));
    line(
      "start to ready, 3 stdio upstreams",
      `${fmt(three.readyMs, 0).padStart(5)} ms`,
      "<= 1500 ms (createGateway to ready)",
    );
    line("  same, from process spawn", `${fmt(three.sinceSpawnMs, 0).padStart(5)} ms`);
  } finally {
    await client.close();
    await direct.close();
    await stopChild(gw.child);
    baseline?.remove();
  }
}

// The SDK client's fetches leave abort listeners on one long-lived signal until GC; the warning is client-side noise.
process.removeAllListeners("warning");
process.on("warning", (warning) => {
  if (warning.name !== "MaxListenersExceededWarning") console.warn(warning);
});

await main();
