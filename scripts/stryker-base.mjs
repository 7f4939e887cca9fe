// The StrykerJS settings every package shares. `STRYKER_BREAK` (a percentage) makes a run below it fail. The gate
// (scripts/mutation-gate.mjs: `pnpm test:mutation`, CI's `pnpm test:mutation:gate`) checks each module's own score
// against its floor instead, running Stryker incrementally from each package's committed stryker/incremental.json.
/** Stryker options for a package: `mutate` lists its security-critical modules. */
export function strykerConfig(mutate, extra = {}) {
  const breakAt = process.env.STRYKER_BREAK;
  return {
    testRunner: "vitest",
    plugins: ["@stryker-mutator/vitest-runner"],
    vitest: { configFile: "vitest.config.ts", related: true },
    mutate,
    coverageAnalysis: "perTest",
    concurrency: 1,
    inPlace: true,
    reporters: ["clear-text", "progress", "html"],
    htmlReporter: { fileName: "reports/mutation/index.html" },
    tempDirName: ".stryker-tmp",
    cleanTempDir: "always",
    thresholds: { high: 90, low: 80, break: breakAt === undefined ? null : Number(breakAt) },
    ...extra,
  };
}
