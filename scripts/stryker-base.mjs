// The StrykerJS settings every package shares. `STRYKER_BREAK` (a percentage) makes a run below it fail; CI sets 90
// for the modules a change touches (scripts/mutation-changed.mjs), `pnpm test:mutation` reports without breaking.
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
