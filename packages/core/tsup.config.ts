import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    index: "src/index.ts",
    "server-name": "src/server-name.ts",
    "server-config": "src/server-config.ts",
    "key-policy": "src/key-policy.ts",
    "stdio-allowlist": "src/stdio-allowlist.ts",
    egress: "src/egress/index.ts",
    "egress-fetch": "src/egress/egress-fetch.ts",
  },
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
});
