import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // CLI tests spawn the built binary and real servers; the machine is small and shared.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
