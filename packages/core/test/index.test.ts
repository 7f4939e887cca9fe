import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as core from "../src/index.js";
import { DIST_ENTRY, runNodeScript, useTempDirs } from "./helpers.js";

const temp = useTempDirs();

describe("the public entry", () => {
  it("exports the API the server and CLI build on", () => {
    for (const name of [
      "createDatabase",
      "openDatabase",
      "migrate",
      "createRepositories",
      "createAuditWriter",
      "redactArguments",
      "McpServerConfigSchema",
      "WaygateError",
      "DatabaseError",
      "MigrationError",
      "SchemaTooNewError",
      "ConfigValidationError",
    ]) {
      expect(core, name).toHaveProperty(name);
    }
  });

  it("does no work at import time: no files, no open handles", async () => {
    const cwd = temp.dir();
    const result = await runNodeScript(
      `await import(${JSON.stringify(DIST_ENTRY)});
       await new Promise((resolve) => setTimeout(resolve, 50)); // let the module loader's own file reads finish
       console.log(JSON.stringify(process.getActiveResourcesInfo().filter((r) => r !== "TTYWrap")));`,
      { cwd },
    );
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual([]);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it("loads undici only from @waygate/core/egress-fetch: the root and egress entries leave it alone", async () => {
    const entry = (name: string) => JSON.stringify(new URL(`../dist/${name}.js`, import.meta.url).href);
    const undiciLoaded = async (name: string) => {
      const result = await runNodeScript(
        `const { createRequire } = await import("node:module");
         await import(${entry(name)});
         const cache = Object.keys(createRequire(import.meta.url).cache ?? {});
         console.log(JSON.stringify(cache.some((path) => path.includes("/undici/"))));`,
        { cwd: temp.dir() },
      );
      expect(result.stderr).toBe("");
      return JSON.parse(result.stdout) as boolean;
    };
    expect(await undiciLoaded("index")).toBe(false);
    expect(await undiciLoaded("egress")).toBe(false);
    // Positive control: the fetch entry does load it (undici is CommonJS, so it lands in the require cache).
    expect(await undiciLoaded("egress-fetch")).toBe(true);
  });
});
