import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests start real subprocesses and servers; on a shared 2-core machine fewer workers are faster.
    maxWorkers: 2,
  },
});
