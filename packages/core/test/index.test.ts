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
});
