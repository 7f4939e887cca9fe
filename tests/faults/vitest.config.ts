import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Every file starts real gateway processes; on a shared 2-core machine one file at a time is steadier.
    fileParallelism: false,
  },
});
