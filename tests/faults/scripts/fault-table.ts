/**
 * `pnpm test:faults`: runs the fault suite with vitest and prints one row per case (case, expected,
 * observed), plus a "gap: <why>" row for each known gap. Exits with vitest's exit code.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type FaultCase, TABLE_FILE_ENV } from "../src/fault-table.js";
import { KNOWN_GAPS } from "../src/known-gaps.js";

const dir = mkdtempSync(join(tmpdir(), "waygate-fault-table-"));
const file = join(dir, "cases.jsonl");
try {
  const vitest = join(dirname(createRequire(import.meta.url).resolve("vitest/package.json")), "vitest.mjs");
  const run = spawnSync(process.execPath, [vitest, "run", ...process.argv.slice(2)], {
    stdio: "inherit",
    env: { ...process.env, [TABLE_FILE_ENV]: file },
  });
  const rows: FaultCase[] = existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as FaultCase)
    : [];
  const includeGaps = process.env.WAYGATE_FAULTS_INCLUDE_GAPS === "1";
  for (const [name, why] of Object.entries(KNOWN_GAPS)) {
    if (!rows.some((row) => row.case === name)) {
      rows.push({
        case: name,
        expected: "(see test)",
        observed: `gap: ${why}${includeGaps ? " (FAILED)" : ""}`,
      });
    }
  }
  const width = (key: keyof FaultCase, cap: number) =>
    Math.min(cap, Math.max(key.length, ...rows.map((row) => row[key].length)));
  const widths = { case: width("case", 48), expected: width("expected", 60), observed: 0 };
  const cell = (text: string, size: number) => (size === 0 ? text : text.slice(0, size).padEnd(size));
  const line = (row: FaultCase) =>
    `${cell(row.case, widths.case)} | ${cell(row.expected, widths.expected)} | ${row.observed}`;
  console.log(`\n${line({ case: "case", expected: "expected", observed: "observed" })}`);
  console.log(`${"-".repeat(widths.case)}-+-${"-".repeat(widths.expected)}-+-${"-".repeat(40)}`);
  for (const row of rows) console.log(line(row));
  console.log(
    `\n${rows.length} rows; vitest exit code ${run.status}${run.status === 0 ? "" : " (a failed case has no row: see the vitest output above)"}`,
  );
  process.exitCode = run.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
