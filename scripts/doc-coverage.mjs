#!/usr/bin/env node
// Every name the READMEs promise (HTTP route, environment variable, CLI command, metric) must be used by at least one
// test; an uncovered one fails with its name and README. Justified exceptions live in doc-coverage-exceptions.json,
// each with a reason. `pnpm lint` runs this; `--list` prints every name with the tests that mention it.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const SKIP = new Set(["node_modules", "dist", ".git", ".turbo", "reports", ".stryker-tmp", "vendor"]);

function walk(dir, keep, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, keep, out);
    else if (keep(path)) out.push(path);
  }
  return out;
}

const readmes = walk(root, (path) => path.endsWith("README.md"));
const tests = walk(root, (path) => /\/(test|tests)\//.test(path) && /\.(ts|mts|js|mjs|sh)$/.test(path)).map(
  (path) => ({ path: relative(root, path), text: readFileSync(path, "utf8") }),
);

/** Names in backticks of each kind, with the READMEs that document them. */
const documented = new Map();
const add = (kind, name, readme) => {
  const key = `${kind} ${name}`;
  const entry = documented.get(key) ?? { kind, name, readmes: new Set() };
  entry.readmes.add(relative(root, readme));
  documented.set(key, entry);
};
for (const readme of readmes) {
  const text = readFileSync(readme, "utf8");
  for (const [, code] of text.matchAll(/`([^`\n]+)`/g)) {
    const route =
      /^(?:(GET|POST|PUT|PATCH|DELETE) )?(\/(?:mcp|admin|health|ready|livez|metrics|servers|console|messages|sse|diagnostics|oauth|\.well-known)[^\s?`]*)$/.exec(
        code,
      );
    if (route) add("route", `${route[1] ? `${route[1]} ` : ""}${route[2]}`, readme);
    // Environment variables by their families; other upper-case names in the READMEs are error codes.
    if (
      /^(WAYGATE|DATABASE|MCP|REDIS|CORS|LOG|GITHUB|FIREBASE|GOOGLE|BIGQUERY|NODE|CONFORMANCE)_[A-Z0-9_]+$/.test(
        code,
      )
    )
      add("env", code, readme);
    const metric = /^(waygate_[a-z_]+)(?:\{.*\})?$/.exec(code);
    if (metric) add("metric", metric[1], readme);
    const cli = /^waygate ([a-z]+)(?: ([a-z][a-z-]*))?/.exec(code);
    if (cli) add("cli", cli[2] ? `${cli[1]} ${cli[2]}` : cli[1], readme);
  }
}

/** The strings a test would contain if it used the name. */
function needles(kind, name) {
  if (kind === "route") {
    // A server's own endpoint is one route whatever the example name (`/servers/github/mcp`).
    const path = name.replace(/^[A-Z]+ /, "").replace(/^\/servers\/.*/, "/servers/");
    // Up to the first parameter (`<name>`, `:name`, `{name}`) or alternative (`[…]`), which a test fills in.
    const fixed = path.split(/[<:{*[]/)[0];
    return [fixed.length > 1 ? fixed : path];
  }
  if (kind === "cli") {
    const words = name.split(" ");
    return [name, words.map((word) => `"${word}"`).join(", ")];
  }
  return [name];
}

const exceptions = JSON.parse(readFileSync(join(root, "scripts", "doc-coverage-exceptions.json"), "utf8"));
const excepted = new Map(exceptions.map((entry) => [`${entry.kind} ${entry.name}`, entry.reason]));
const list = process.argv.includes("--list");
const uncovered = [];
for (const [key, { kind, name, readmes: where }] of [...documented].sort()) {
  const found = tests.filter((test) => needles(kind, name).some((needle) => test.text.includes(needle)));
  if (list) console.log(`${key}: ${found.length ? found.map((test) => test.path).join(", ") : "NONE"}`);
  if (found.length === 0 && !excepted.has(key))
    uncovered.push(`${key} (documented in ${[...where].join(", ")})`);
}
const stale = [...excepted.keys()].filter((key) => !documented.has(key));
if (stale.length > 0) {
  console.error(`doc-coverage: exceptions for names no README documents any more: ${stale.join("; ")}`);
}
if (uncovered.length > 0) {
  console.error(
    `doc-coverage: ${uncovered.length} documented name(s) no test uses; add a test, or list the name with a reason in scripts/doc-coverage-exceptions.json:\n  ${uncovered.join("\n  ")}`,
  );
}
if (uncovered.length > 0 || stale.length > 0) process.exit(1);
console.log(
  `doc-coverage: ${documented.size} documented names, each used by a test or excepted with a reason`,
);
