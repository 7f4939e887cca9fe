import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/node/index.ts" },
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  // Only the Node entry: `vite build` writes the app into dist/app afterwards.
  clean: false,
  shims: true,
  target: "node20",
});
