// CPU per call of this tree's gateway against a baseline's, alternated: `pnpm --filter @waygate/server bench:ab`.
// Each round starts each build's gateway in turn (order swapped every round) and measures a minimal keep-alive client
// in both eras (2025 session, 2026-07-28 request) at concurrency 1 and 16, calling server-everything's echo over
// stdio; CPU is the gateway process's utime + stime from /proc/<pid>/stat. It prints each cell's median over the
// rounds and the median of the paired now/base ratios, which cancels slow drifts of load on a shared machine.
//
//   BENCH_BASELINE=<git ref>   build that commit in a temp worktree as the baseline (removed afterwards)
//   BENCH_BASELINE_DIR=<dir>   or use a checkout already built (also this tree, to compare settings)
//   BENCH_NOW_ENV=NAME=value   one extra environment variable for this tree's gateway only; with
//                              BENCH_NODE_ARGS=... as NAME it sets that gateway's Node flags
//   BENCH_ROUNDS (5), BENCH_CALLS (2000 per cell), BENCH_ERA (2025 or 2026: one era only)
//   BENCH_STRACE=<prefix>      count each cell's syscalls with `strace -c -f` into <prefix>-c<n>-<era>.txt
//                              (its CPU figures are then not comparable)
//   BENCH_NODE_ARGS            Node flags of every gateway, e.g. --cpu-prof --cpu-prof-dir=<dir> for profiles
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { prepareBaseline } from "../../../bench/baseline.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? "5");
const CALLS = Number(process.env.BENCH_CALLS ?? "2000");
const WARMUP = 500;
const TICKS = Number(process.env.BENCH_CLK_TCK ?? "100");
const here = fileURLToPath(new URL("./gateway-child.mjs", import.meta.url));

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS;
}

async function start(script: string, extraEnv: Record<string, string> = {}) {
  const child = spawn(
    process.execPath,
    [...(extraEnv.BENCH_NODE_ARGS ?? process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean), script],
    {
      env: { ...process.env, BENCH_UPSTREAMS: "1", ...extraEnv },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`gateway exited ${code}`)));
  });
  const { url, key } = JSON.parse(line) as { url: string; key: string };
  return {
    child,
    url,
    key,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

type Post = (
  body: unknown,
  extra?: Record<string, string>,
) => Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>;
function poster(url: string, key: string): { post: Post; agent: http.Agent } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const post: Post = (message, extra = {}) =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify(message);
      const req = http.request(
        `${url}/mcp`,
        {
          method: "POST",
          agent,
          headers: {
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
            authorization: `Bearer ${key}`,
            "content-length": Buffer.byteLength(body),
            ...extra,
          },
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => {
            text += c;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  return { post, agent };
}

const params = { name: "everything__echo", arguments: { message: "benchmark" } };

async function legacyCaller(url: string, key: string) {
  const { post, agent } = poster(url, key);
  const init = await post({
    jsonrpc: "2.0",
    id: 0,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "ab", version: "1" } },
  });
  const h = {
    "mcp-session-id": String(init.headers["mcp-session-id"]),
    "mcp-protocol-version": "2025-06-18",
  };
  await post({ jsonrpc: "2.0", method: "notifications/initialized" }, h);
  let id = 1;
  return {
    call: async () => {
      const r = await post({ jsonrpc: "2.0", id: id++, method: "tools/call", params }, h);
      if (r.status !== 200 || !r.text.includes('"result"'))
        throw new Error(`${r.status} ${r.text.slice(0, 200)}`);
    },
    close: () => agent.destroy(),
  };
}

async function modernCaller(url: string, key: string) {
  const { post, agent } = poster(url, key);
  const _meta = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientInfo": { name: "ab", version: "1" },
    "io.modelcontextprotocol/clientCapabilities": {},
  };
  const h = { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": params.name };
  let id = 1;
  return {
    call: async () => {
      const r = await post(
        { jsonrpc: "2.0", id: id++, method: "tools/call", params: { ...params, _meta } },
        h,
      );
      if (r.status !== 200 || !r.text.includes('"result"'))
        throw new Error(`${r.status} ${r.text.slice(0, 200)}`);
    },
    close: () => agent.destroy(),
  };
}

async function cell(pid: number, call: () => Promise<void>, conc: number) {
  let left = WARMUP;
  const loop = async (budget: () => boolean) => {
    while (budget()) await call();
  };
  await Promise.all(Array.from({ length: conc }, () => loop(() => left-- > 0)));
  left = CALLS;
  const tracer = process.env.BENCH_STRACE
    ? spawn("strace", [
        "-c",
        "-f",
        "-p",
        String(pid),
        "-o",
        `${process.env.BENCH_STRACE}-c${conc}-${process.env.BENCH_ERA ?? "all"}.txt`,
      ])
    : undefined;
  if (tracer) await new Promise((resolve) => setTimeout(resolve, 1000));
  const before = cpuMs(pid);
  await Promise.all(Array.from({ length: conc }, () => loop(() => left-- > 0)));
  const spent = (cpuMs(pid) - before) / CALLS;
  if (tracer) {
    const done = new Promise((resolve) => tracer.once("exit", resolve));
    tracer.kill("SIGINT");
    await done;
  }
  return spent;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main() {
  const baseDir = process.env.BENCH_BASELINE_DIR;
  const baseline =
    !baseDir && process.env.BENCH_BASELINE
      ? prepareBaseline(process.env.BENCH_BASELINE, "@waygate/server...")
      : undefined;
  const builds: Record<string, string> = { now: here };
  const dir = baseDir ?? baseline?.dir;
  if (dir) builds.base = join(dir, "packages/server/bench/gateway-child.mjs");
  const figures: Record<string, number[]> = {};
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? Object.keys(builds) : Object.keys(builds).reverse();
      for (const name of order) {
        const gw = await start(
          builds[name]!,
          name === "now" && process.env.BENCH_NOW_ENV
            ? Object.fromEntries([
                [
                  process.env.BENCH_NOW_ENV.slice(0, process.env.BENCH_NOW_ENV.indexOf("=")),
                  process.env.BENCH_NOW_ENV.slice(process.env.BENCH_NOW_ENV.indexOf("=") + 1),
                ] as [string, string],
              ])
            : {},
        );
        try {
          for (const [era, make] of [
            ["2025", legacyCaller],
            ["2026", modernCaller],
          ] as const) {
            if (process.env.BENCH_ERA && process.env.BENCH_ERA !== era) continue;
            const caller = await make(gw.url, gw.key);
            for (const conc of [1, 16]) {
              const v = await cell(gw.child.pid!, caller.call, conc);
              const label = `${name} ${era} c${conc}`;
              figures[label] = [...(figures[label] ?? []), v];
            }
            caller.close();
          }
        } finally {
          await gw.stop();
        }
      }
      console.error(
        `round ${round + 1}/${ROUNDS}: ${Object.entries(figures)
          .map(([label, values]) => `${label} ${values.at(-1)?.toFixed(3)}`)
          .join(", ")}`,
      );
    }
  } finally {
    baseline?.remove();
  }
  console.log(
    `CPU ms per call, median of ${ROUNDS} rounds of ${CALLS} calls (lean client), all values listed`,
  );
  for (const [k, v] of Object.entries(figures).sort()) {
    console.log(`${k.padEnd(16)} ${median(v).toFixed(3)}   [${v.map((x) => x.toFixed(3)).join(", ")}]`);
  }
  if (builds.base) {
    // Each round measured both builds back to back: the median of those paired ratios cancels slow drifts in load.
    console.log("now / base, median of the rounds' paired ratios");
    for (const cellName of Object.keys(figures).filter((k) => k.startsWith("now "))) {
      const now = figures[cellName]!;
      const base = figures[cellName.replace("now ", "base ")]!;
      const ratios = now.map((x, i) => x / base[i]!);
      console.log(
        `${cellName.slice(4).padEnd(12)} ${median(ratios).toFixed(3)}   [${ratios.map((x) => x.toFixed(2)).join(", ")}]`,
      );
    }
  }
}

await main();
