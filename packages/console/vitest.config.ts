import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // One browser and one gateway at a time: the e2e flow is sequential.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // A poll that reloads a page or restarts a server takes seconds on a loaded machine, past the 1 s default.
    expect: { poll: { timeout: 15_000, interval: 100 } },
  },
});
