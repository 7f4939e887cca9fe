import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

const distEsm = new URL("../dist/index.js", import.meta.url);
const distCjs = new URL("../dist/index.cjs", import.meta.url);

describe("built package", () => {
  it("exports the same public API from its ESM and CJS builds", async () => {
    // turbo runs `build` before `test`, so the dist files exist whenever this suite runs in CI.
    expect(existsSync(distEsm) && existsSync(distCjs)).toBe(true);
    const esm = (await import(distEsm.href)) as Record<string, unknown>;
    const cjs = createRequire(import.meta.url)(distCjs.pathname) as Record<string, unknown>;
    expect(typeof esm.createGateway).toBe("function");
    expect(Object.keys(cjs).sort()).toEqual(Object.keys(esm).sort());
  });
});
