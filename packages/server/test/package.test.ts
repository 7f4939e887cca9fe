import { existsSync, readFileSync } from "node:fs";
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

describe("the redis entry point", () => {
  it("is the only build that loads a Redis client", async () => {
    const root = readFileSync(distEsm, "utf8") + readFileSync(distCjs, "utf8");
    expect(root).not.toMatch(/(from |require\()"(@redis\/client|rate-limit-redis)"/);
    const redisEntry = readFileSync(new URL("../dist/redis/index.js", import.meta.url), "utf8");
    expect(redisEntry).toMatch(/from "rate-limit-redis"/);
    const esm = (await import(new URL("../dist/redis/index.js", import.meta.url).href)) as Record<
      string,
      unknown
    >;
    const cjs = createRequire(import.meta.url)(
      new URL("../dist/redis/index.cjs", import.meta.url).pathname,
    ) as Record<string, unknown>;
    expect(typeof esm.createRedisRateLimitStore).toBe("function");
    expect(Object.keys(cjs).sort()).toEqual(Object.keys(esm).sort());
  });
});
