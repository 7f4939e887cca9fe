// `node bench/module-rss.mjs [module…]`: the resident memory each module costs when imported alone into a fresh Node
// (RSS after the import minus RSS of an empty Node, each the median of 3 processes). Resolved from apps/gateway, so the
// gateway's own dependencies and workspace packages are found. Memory, not CPU: the machine's load does not change it.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// Where each bare specifier resolves: the gateway's dependencies, else the server's or core's.
const ROOTS = [
  root,
  join(root, "..", "..", "packages", "server"),
  join(root, "..", "..", "packages", "core"),
];
const cwdFor = (specifier) => ROOTS.find((dir) => existsSync(join(dir, "node_modules", specifier))) ?? root;
const DEFAULT = [
  "@waygate/core",
  "@waygate/plugin-sdk",
  "@waygate/server",
  "@waygate/console",
  "express",
  "winston",
  "prom-client",
  "zod",
  "jose",
  "oidc-provider",
  "@libsql/client",
  "@modelcontextprotocol/server",
  "@modelcontextprotocol/client",
  "@modelcontextprotocol/node",
  "@modelcontextprotocol/server-legacy",
  "helmet",
  "rate-limit-redis",
  "redis",
];
const modules = process.argv.length > 2 ? process.argv.slice(2) : DEFAULT;

function rssAfter(specifier) {
  const code = `const before = process.memoryUsage().rss;
${specifier ? `await import(${JSON.stringify(specifier)}).catch((e) => { console.log(JSON.stringify({ error: String(e.message) })); process.exit(0); });` : ""}
globalThis.gc?.(); await new Promise((r) => setTimeout(r, 200));
console.log(JSON.stringify({ rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed }));`;
  const out = execFileSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", code], {
    cwd: specifier ? cwdFor(specifier) : root,
    encoding: "utf8",
  });
  return JSON.parse(out.trim().split("\n").pop());
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const MB = 1024 * 1024;
const base = median([0, 1, 2].map(() => rssAfter(undefined).rss));
console.log(`empty node: ${(base / MB).toFixed(1)} MB RSS`);
for (const specifier of modules) {
  const runs = [0, 1, 2].map(() => rssAfter(specifier));
  if (runs[0].error) {
    console.log(`${specifier.padEnd(32)} could not import: ${runs[0].error}`);
    continue;
  }
  const rss = median(runs.map((run) => run.rss));
  const heap = median(runs.map((run) => run.heap));
  console.log(
    `${specifier.padEnd(32)} +${((rss - base) / MB).toFixed(1).padStart(5)} MB RSS  heap ${(heap / MB).toFixed(1)} MB`,
  );
}
