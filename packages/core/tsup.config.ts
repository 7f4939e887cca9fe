import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts", "src/server-name.ts", "src/key-policy.ts", "src/stdio-allowlist.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
});
