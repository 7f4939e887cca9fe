import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    index: "src/index.ts",
    "redis/index": "src/redis/index.ts",
    // The config file's schema, without Express and the MCP SDK (the CLI validates config without loading them).
    "oauth-options/index": "src/auth/oauth-options.ts",
  },
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
});
