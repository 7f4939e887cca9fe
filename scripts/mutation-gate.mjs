#!/usr/bin/env node
// The mutation-testing gate. Every run (CI's and `pnpm test:mutation`) mutates every module each package's
// stryker.config.mjs lists, in StrykerJS's incremental mode, and checks each module's own score against its floor.
//
// - Incremental: each package commits its last full result (`stryker/incremental.json`). Stryker re-tests a mutant
//   only when its code or a test covering it changed, and reuses every other result, so a run costs about one plain
//   test run per package unless listed code or its tests changed. It compares file contents, not commits, so a
//   landing of many commits is checked as a whole, whichever commit touched what.
// - What Stryker cannot see: a change in the code a module imports, or in the tests' helpers, can turn a killed
//   mutant into a survivor without touching the module or a test. So the ratchet file records, per module, a hash of
//   what it depends on (its value imports inside its package, transitively, the workspace packages those name, and
//   the package's non-test files under test/); when that hash differs, `--record` drops the module's results and runs
//   all its mutants again. The gate (CI) does not: one change to core would re-run every module for hours on every
//   landing. It reuses the results of mutants in unchanged code and names each such module in its output, so the
//   gap is visible and closed by the next `pnpm test:mutation`.
// - Floors (the ratchet, `mutation-scores.json`): a module must score at least 90 %, or, while it is recorded below
//   90 %, at least the best score ever committed for it (the file's git history), so no module can get worse and a
//   module at 90 % stays there. A module not recorded yet needs 90 %.
//
// `--record` (what `pnpm test:mutation` passes) also writes the scores, hashes and incremental results back, to be
// committed; `--reuse-stale` records without re-running modules whose imports changed (they stay named). `--list` prints the plan and runs nothing; `--only <package dir>` runs one package. Arguments after `--`
// go to Stryker (e.g. `-- --force` re-tests every mutant).
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const THRESHOLD = 90;
const SCORES_FILE = "mutation-scores.json";
const INCREMENTAL_FILE = "stryker/incremental.json";
const PACKAGES = ["packages/core", "packages/server", "packages/bridge-bigquery"];

const args = process.argv.slice(2);
const dashes = args.indexOf("--");
const own = dashes === -1 ? args : args.slice(0, dashes);
const strykerArgs = dashes === -1 ? [] : args.slice(dashes + 1);
const record = own.includes("--record");
const listOnly = own.includes("--list");
// `--reuse-stale` (with --record): keep the results of a module whose imports changed instead of re-running it in
// full, and keep its old dependency hash, so the next run still names it until a full recording re-checks it.
const reuseStale = own.includes("--reuse-stale");
// `--only <package dir>` (repeatable) limits the run to those packages.
const only = own.flatMap((arg, i) => (own[i - 1] === "--only" ? [arg.replace(/\/$/, "")] : []));

const git = (...gitArgs) =>
  execFileSync("git", gitArgs, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });

/** The recorded file at HEAD and the best score each module has ever had in its committed history. */
function recordedScores() {
  const path = join(root, SCORES_FILE);
  const current = existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : { modules: {} };
  const best = {};
  const note = (modules) => {
    for (const [module, entry] of Object.entries(modules ?? {}))
      if (typeof entry?.score === "number") best[module] = Math.max(best[module] ?? 0, entry.score);
  };
  note(current.modules);
  let commits = [];
  try {
    commits = git("log", "--format=%H", "--", SCORES_FILE).split("\n").filter(Boolean);
  } catch {
    // Not a git checkout: the file at hand is all the history there is.
  }
  for (const commit of commits) {
    try {
      note(JSON.parse(git("show", `${commit}:${SCORES_FILE}`)).modules);
    } catch {
      // The file was deleted or unreadable in that commit.
    }
  }
  return { current, best };
}

/** The floor of one module: 90 %, or its best committed score while that is below 90 %. */
const floorOf = (best, module) => Math.min(THRESHOLD, best[module] ?? THRESHOLD);

/** Every file under `dir` (recursively) whose name passes `keep`. */
function filesUnder(dir, keep) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && keep(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Workspace packages by name, for imports of `@waygate/*` from a module. */
function workspacePackages() {
  const byName = new Map();
  for (const group of ["packages", "apps"]) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const manifest = join(dir, name, "package.json");
      if (existsSync(manifest)) byName.set(JSON.parse(readFileSync(manifest, "utf8")).name, join(dir, name));
    }
  }
  return byName;
}

/** Value imports and re-exports of one file (type-only ones change no behaviour), as written. */
function valueImports(file) {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, false);
  const specifiers = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      if (statement.importClause?.isTypeOnly) continue;
      const bindings = statement.importClause?.namedBindings;
      if (
        bindings &&
        ts.isNamedImports(bindings) &&
        !statement.importClause.name &&
        bindings.elements.length > 0 &&
        bindings.elements.every((element) => element.isTypeOnly)
      )
        continue;
      specifiers.push(statement.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && !statement.isTypeOnly) {
      specifiers.push(statement.moduleSpecifier.text);
    }
  }
  return specifiers;
}

/**
 * A hash of what `module`'s mutants may depend on besides the module and its tests (which Stryker tracks itself): its
 * value imports inside the package, transitively, the src of the workspace packages they import, and the package's
 * test helpers (every file under test/ that is not a test file).
 */
function dependencyHash(pkgDir, module, workspace) {
  const start = join(pkgDir, module);
  const files = new Set();
  const packages = new Set();
  const queue = [start];
  const seen = new Set([start]);
  while (queue.length > 0) {
    const file = queue.shift();
    for (const specifier of valueImports(file)) {
      if (specifier.startsWith(".")) {
        const target = resolve(dirname(file), specifier.replace(/\.js$/, ".ts"));
        if (!existsSync(target) || seen.has(target)) continue;
        seen.add(target);
        files.add(target);
        queue.push(target);
      } else {
        const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier;
        const dir = workspace.get(name);
        if (dir) packages.add(dir);
      }
    }
  }
  for (const dir of packages)
    for (const file of filesUnder(join(dir, "src"), (n) => n.endsWith(".ts"))) files.add(file);
  for (const file of filesUnder(join(pkgDir, "test"), (n) => !/\.test(-d)?\.ts$/.test(n))) files.add(file);
  const hash = createHash("sha256");
  for (const file of [...files].sort()) {
    hash.update(relative(root, file));
    hash.update("\0");
    hash.update(readFileSync(file));
    hash.update("\0");
  }
  return hash.digest("hex");
}

/** Per-module counts and score from Stryker's JSON report (score: detected over valid mutants, as Stryker counts). */
function scoresOf(reportPath, pkg) {
  const report = JSON.parse(readFileSync(reportPath, "utf8"));
  const result = {};
  for (const [file, { mutants }] of Object.entries(report.files)) {
    const count = (...statuses) => mutants.filter((m) => statuses.includes(m.status)).length;
    const killed = count("Killed");
    const timeout = count("Timeout");
    const survived = count("Survived");
    const noCoverage = count("NoCoverage");
    const valid = killed + timeout + survived + noCoverage;
    const score = valid === 0 ? 100 : Math.floor(((killed + timeout) / valid) * 10_000) / 100;
    result[join(pkg, file)] = { score, killed, timeout, survived, noCoverage, ignored: count("Ignored") };
  }
  return result;
}

const { current, best } = recordedScores();
const { STRYKER_BREAK: _break, ...withoutBreak } = process.env;
const workspace = workspacePackages();
const measured = {};
const failures = [];
const timings = [];
/** Modules the gate judged on reused results although what they import changed (see `changedDependencies`). */
const staleModules = [];

for (const pkg of PACKAGES.filter((p) => only.length === 0 || only.includes(p))) {
  const pkgDir = join(root, pkg);
  const configPath = join(pkgDir, "stryker.config.mjs");
  if (!existsSync(configPath)) continue;
  const { default: config } = await import(pathToFileURL(configPath).href);
  const modules = config.mutate;
  const hashes = Object.fromEntries(modules.map((m) => [m, dependencyHash(pkgDir, m, workspace)]));
  // A module whose dependencies changed since its results were recorded. Recording drops its results, so it runs in
  // full; the gate reuses them (a full run of every such module would take hours on every landing that touches
  // core) and names the module, so that the next `pnpm test:mutation` re-checks it.
  const changedDependencies = modules.filter(
    (m) => current.modules[join(pkg, m)]?.dependencies !== hashes[m],
  );
  const stale = record && !reuseStale ? changedDependencies : [];
  if (stale.length === 0 && changedDependencies.length > 0 && existsSync(join(pkgDir, INCREMENTAL_FILE)))
    staleModules.push(...changedDependencies.map((m) => join(pkg, m)));
  const committed = join(pkgDir, INCREMENTAL_FILE);
  const work = mkdtempSync(join(tmpdir(), "waygate-mutation-"));
  const incremental = join(work, "incremental.json");
  if (existsSync(committed)) {
    const previous = JSON.parse(readFileSync(committed, "utf8"));
    for (const module of stale) delete previous.files?.[module];
    writeFileSync(incremental, JSON.stringify(previous));
  }
  console.log(
    `mutation: ${pkg}: ${modules.join(", ")}` +
      (existsSync(committed) ? "" : " (no recorded results: every mutant runs)") +
      (stale.length > 0 && existsSync(committed)
        ? `; dependencies changed since recorded, so run in full: ${stale.join(", ")}`
        : ""),
  );
  if (listOnly) continue;
  const started = Date.now();
  const run = spawnSync(
    "pnpm",
    [
      "exec",
      "stryker",
      "run",
      "--incremental",
      "--incrementalFile",
      incremental,
      "--reporters",
      "clear-text,json,progress",
      ...strykerArgs,
    ],
    // The floors are checked per module below; Stryker's own break threshold would judge the package as a whole.
    { cwd: pkgDir, stdio: "inherit", env: withoutBreak },
  );
  timings.push(`${pkg} ${Math.round((Date.now() - started) / 1000)} s`);
  if (run.status !== 0) {
    failures.push(`${pkg}: Stryker failed (exit ${run.status}); see its output above`);
    continue;
  }
  const scores = scoresOf(join(pkgDir, "reports/mutation/mutation.json"), pkg);
  for (const module of modules) {
    const key = join(pkg, module);
    const score = scores[key];
    if (!score) {
      failures.push(`${key}: no result in Stryker's report`);
      continue;
    }
    const keptHash = stale.length === 0 && changedDependencies.includes(module);
    measured[key] = {
      ...score,
      dependencies: keptHash ? (current.modules[key]?.dependencies ?? null) : hashes[module],
    };
    const floor = floorOf(best, key);
    const counts = `${score.killed} killed, ${score.timeout} timed out, ${score.survived} survived, ${score.noCoverage} not covered`;
    const verdict = score.score >= floor ? "ok" : "BELOW";
    console.log(`mutation: ${key}: ${score.score.toFixed(2)} % (floor ${floor} %: ${verdict}; ${counts})`);
    if (score.score < floor)
      failures.push(
        `${key} scores ${score.score.toFixed(2)} %, below its floor of ${floor} % (the survivors are listed above and in ${pkg}/reports/mutation/mutation.html): add tests that kill them`,
      );
  }
  if (record) {
    // Without this machine's paths and options, which Stryker does not read back.
    const { projectRoot: _root, config: _config, ...results } = JSON.parse(readFileSync(incremental, "utf8"));
    mkdirSync(dirname(committed), { recursive: true });
    writeFileSync(committed, JSON.stringify(results));
  }
}

if (listOnly) process.exit(0);
console.log(`mutation: time per package: ${timings.join(", ")}`);
if (record) {
  // Read again: another package's run may have recorded its modules meanwhile.
  const modules = { ...recordedScores().current.modules, ...measured };
  const sorted = Object.fromEntries(
    Object.keys(modules)
      .sort()
      .map((k) => [k, modules[k]]),
  );
  writeFileSync(
    join(root, SCORES_FILE),
    `${JSON.stringify({ threshold: THRESHOLD, modules: sorted }, null, 2)}\n`,
  );
  console.log(
    `mutation: recorded the scores in ${SCORES_FILE} and each package's ${INCREMENTAL_FILE}; commit them`,
  );
} else {
  for (const [key, { score }] of Object.entries(measured)) {
    const recordedScore = current.modules[key]?.score;
    if (recordedScore !== undefined && score > recordedScore)
      console.log(
        `mutation: ${key} now scores ${score} % (recorded ${recordedScore} %): pnpm test:mutation records it`,
      );
  }
}
if (staleModules.length > 0)
  console.log(
    `mutation: what these import changed since their results were recorded; the gate reused the results of mutants ` +
      `in unchanged code, which may now survive: ${staleModules.join(", ")}. pnpm test:mutation re-runs them in full ` +
      "and records the outcome.",
  );
if (failures.length > 0) {
  for (const failure of failures) console.error(`mutation: FAILED ${failure}`);
  process.exit(1);
}
console.log("mutation: every listed module is at or above its floor");
