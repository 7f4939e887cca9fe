#!/usr/bin/env node
// Mutation testing of the security-critical modules a change touches, failing below 90% (CI runs this; the full run
// is `pnpm test:mutation`). The change is the diff against the merge base with MUTATION_BASE (default origin/main,
// then main); on that branch itself, the last commit. Each package's stryker.config.mjs lists its modules.
// `--list` prints what would be tested and runs nothing.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const git = (...args) =>
  execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
const tryGit = (...args) => {
  try {
    return git(...args);
  } catch {
    return undefined;
  }
};

function baseCommit() {
  const head = git("rev-parse", "HEAD");
  for (const ref of [process.env.MUTATION_BASE, "origin/main", "main"].filter(Boolean)) {
    const base = tryGit("merge-base", "HEAD", ref);
    if (base && base !== head) return base;
    if (base === head) break;
  }
  // On the base branch itself (or with no base at hand): the last commit is the change.
  return tryGit("rev-parse", "HEAD^");
}

const PACKAGES = ["packages/core", "packages/server", "packages/bridge-bigquery"];
const base = baseCommit();
if (!base) {
  console.log("mutation: no earlier commit to compare with; nothing to test");
  process.exit(0);
}
const changed = new Set(git("diff", "--name-only", base, "HEAD").split("\n").filter(Boolean));
let failed = false;
let mutated = 0;
for (const pkg of PACKAGES) {
  const configPath = join(root, pkg, "stryker.config.mjs");
  if (!existsSync(configPath)) continue;
  const { default: config } = await import(pathToFileURL(configPath).href);
  // A module counts as touched when it or one of its tests changed.
  const touched = config.mutate.filter((file) => {
    const test = join(pkg, "test", file.replace(/^src\//, "").replace(/\.ts$/, ".test.ts"));
    return changed.has(join(pkg, file)) || changed.has(test);
  });
  if (touched.length === 0) continue;
  mutated += touched.length;
  console.log(
    `mutation: ${pkg}: ${touched.join(", ")} (changed since ${base.slice(0, 12)}; break below 90%)`,
  );
  if (process.argv.includes("--list")) continue;
  const run = spawnSync("pnpm", ["exec", "stryker", "run", "--mutate", touched.join(",")], {
    cwd: join(root, pkg),
    stdio: "inherit",
    env: { ...process.env, STRYKER_BREAK: process.env.STRYKER_BREAK ?? "90" },
  });
  if (run.status !== 0) {
    console.error(
      `mutation: ${relative(root, join(root, pkg))} is below the break threshold (or Stryker failed)`,
    );
    failed = true;
  }
}
if (mutated === 0)
  console.log(`mutation: no listed module or its test changed since ${base.slice(0, 12)}; nothing to mutate`);
else if (!failed && !process.argv.includes("--list"))
  console.log("mutation: every touched module is at or above the threshold");
process.exit(failed ? 1 : 0);
