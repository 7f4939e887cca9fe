import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), "..");
const PUBLIC_API = [
  "runCli",
  "createProgram",
  "loadConfig",
  "EnvSchema",
  "ConfigFileSchema",
  "ConfigError",
  "ExitCode",
];

describe("the built package", () => {
  it("exposes the same public API from its ESM and CommonJS entries", async () => {
    const esm = await run(process.execPath, [
      "--input-type=module",
      "-e",
      `const m = await import(${JSON.stringify(join(PACKAGE, "dist", "index.js"))}); console.log(JSON.stringify(Object.keys(m)))`,
    ]);
    const cjs = await run(process.execPath, [
      "-e",
      `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(join(PACKAGE, "dist", "index.cjs"))}))))`,
    ]);
    const esmNames = JSON.parse(esm.stdout) as string[];
    expect(esmNames).toEqual(expect.arrayContaining(PUBLIC_API));
    expect((JSON.parse(cjs.stdout) as string[]).sort()).toEqual([...esmNames].sort());
  });

  it("does not load the database driver or the server until a command needs them", async () => {
    const { stdout } = await run(process.execPath, [
      "-e",
      `require(${JSON.stringify(join(PACKAGE, "dist", "index.cjs"))});
       const loaded = Object.keys(require.cache);
       console.log(JSON.stringify({ libsql: loaded.some((p) => p.includes("@libsql")), express: loaded.some((p) => p.includes("/express/")) }))`,
    ]);
    expect(JSON.parse(stdout)).toEqual({ libsql: false, express: false });
  });
});
