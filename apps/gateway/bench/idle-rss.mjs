// `node bench/idle-rss.mjs [bin.js…]`: idle resident memory of `waygate start` on the embedded database with the
// default example configuration (an empty development config: server-everything and the example plugin). Each bin
// (default: this package's dist/bin.js) is started IDLE_STARTS times (default 5), alternating between bins, in a fresh
// temp folder; RSS of the gateway process alone (not its upstream child) is read from /proc at each of IDLE_AT_MS
// (default 5000,60000: ms after its upstreams started). Two moments, because V8 keeps the young generation it grew
// while starting until its memory reducer runs a compacting GC on an idle heap, some 20-30 s later. Prints every
// reading and the median per bin and moment. Memory, not CPU: the machine's load does not change it. Linux only.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const own = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "bin.js");
const bins = process.argv.length > 2 ? process.argv.slice(2).map((bin) => resolve(bin)) : [own];
const starts = Number(process.env.IDLE_STARTS ?? 5);
const moments = (process.env.IDLE_AT_MS ?? "5000,60000").split(",").map(Number);
const MB = 1024 * 1024;

/** VmRSS of a process, in bytes. */
function rssOf(pid) {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"));
  return Number(/(\d+)/.exec(line ?? "")?.[1] ?? 0) * 1024;
}

async function idleRss(bin) {
  const dir = mkdtempSync(join(tmpdir(), "waygate-idle-"));
  const env = {
    PATH: process.env.PATH ?? "",
    ...(process.env.IDLE_NODE_OPTIONS ? { NODE_OPTIONS: process.env.IDLE_NODE_OPTIONS } : {}),
    HOME: dir,
    WAYGATE_PORT: "0",
  };
  const child = spawn(process.execPath, [bin, "start"], {
    cwd: dir,
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk.toString();
  });
  try {
    const deadline = Date.now() + 120_000;
    while (!stderr.includes("upstreams started")) {
      if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}:\n${stderr}`);
      if (Date.now() > deadline) throw new Error(`upstreams did not start within 120 s:\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!stderr.includes("example configuration"))
      throw new Error(`not the example configuration:\n${stderr}`);
    const ready = Date.now();
    const readings = [];
    for (const at of moments) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, ready + at - Date.now())));
      readings.push(rssOf(child.pid));
    }
    return readings;
  } finally {
    child.kill("SIGTERM");
    if (child.exitCode === null) await once(child, "exit");
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const mb = (bytes) => (bytes / MB).toFixed(1);
const readings = new Map(bins.map((bin) => [bin, []]));
for (let round = 0; round < starts; round++) {
  for (const bin of bins) {
    const rss = await idleRss(bin);
    readings.get(bin).push(rss);
    console.log(
      `${bin}: start ${round + 1}: ${rss.map((r, i) => `${mb(r)} MB at ${moments[i] / 1000} s`).join(", ")}`,
    );
  }
}
for (const [bin, runs] of readings) {
  for (const [i, at] of moments.entries()) {
    const values = runs.map((run) => run[i]);
    console.log(
      `${bin}: median idle RSS ${at / 1000} s after ready: ${mb(median(values))} MB over ${values.length} starts (${values.map(mb).join(", ")})`,
    );
  }
}
