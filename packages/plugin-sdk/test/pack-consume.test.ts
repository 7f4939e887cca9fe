import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const ERRORS_DIR = fileURLToPath(new URL("../../errors", import.meta.url));
const EXAMPLE_DIR = fileURLToPath(new URL("../../../examples/custom-plugin", import.meta.url));
const require = createRequire(import.meta.url);
const installedVersion = (name: string) =>
  (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")) as { version: string }).version;

// The consumer's own vitest must not think it runs inside this one.
const childEnv = Object.fromEntries(
  Object.entries({ ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" }).filter(
    ([key]) => !key.startsWith("VITEST"),
  ),
);
const run = (cwd: string, command: string, args: string[]) =>
  execFileSync(command, args, {
    cwd,
    env: childEnv,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 180_000,
  });

describe("the packed SDK, consumed outside the workspace", () => {
  const project = mkdtempSync(join(tmpdir(), "waygate-consumer-"));
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it("type-checks, builds, tests and loads the example plugin as a third-party author would", {
    timeout: 300_000,
  }, () => {
    run(PACKAGE_DIR, "pnpm", ["pack", "--pack-destination", project]);
    const tarball = readdirSync(project).find((file) => file.startsWith("waygate-plugin-sdk-"));
    expect(tarball).toMatch(/^waygate-plugin-sdk-.*\.tgz$/);
    // The SDK's one workspace dependency, not on npm before the first release: taken from its own tarball, as
    // `pnpm release:dry-run` does for every package.
    run(ERRORS_DIR, "pnpm", ["pack", "--pack-destination", project]);
    const errorsTarball = readdirSync(project).find((file) => file.startsWith("waygate-errors-"));

    for (const part of ["src", "test", "tsconfig.json"])
      cpSync(join(EXAMPLE_DIR, part), join(project, part), { recursive: true });
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({
        name: "third-party-plugin",
        private: true,
        type: "module",
        dependencies: { "@waygate/plugin-sdk": `file:./${tarball}`, zod: installedVersion("zod") },
        devDependencies: {
          typescript: installedVersion("typescript"),
          vitest: installedVersion("vitest"),
          "@types/node": installedVersion("@types/node"),
        },
        pnpm: { overrides: { "@waygate/errors": `file:./${errorsTarball}` } },
      }),
    );
    // --prefer-offline takes what the workspace install put in the pnpm store and asks the registry only for
    // what is missing (metadata included), so the test works from an empty cache as well as a warm one.
    try {
      run(project, "pnpm", [
        "install",
        "--prefer-offline",
        "--ignore-workspace",
        "--config.confirmModulesPurge=false",
      ]);
    } catch (error) {
      const stderr = String((error as { stderr?: unknown }).stderr ?? "");
      throw new Error(`install of the packed SDK outside the workspace failed:\n${stderr}`);
    }

    run(project, "node_modules/.bin/tsc", ["-p", "tsconfig.json", "--noEmit"]);
    run(project, "node_modules/.bin/tsc", ["-p", "tsconfig.json"]);
    expect(readdirSync(join(project, "dist"))).toEqual(expect.arrayContaining(["index.js", "index.d.ts"]));
    const tests = run(project, "node_modules/.bin/vitest", ["run", "--reporter=dot"]);
    expect(tests).toMatch(/Tests\s+7 passed/);

    const loaded = run(project, process.execPath, [
      "--input-type=module",
      "-e",
      `import { loadPlugin } from "@waygate/plugin-sdk/loader";
       const r = await loadPlugin("./dist/index.js", { hostVersion: "0.1.0" });
       const out = await r.plugin.callTool("slugify", { title: "Packed And Loaded" }, {
         signal: new AbortController().signal, caller: { keyId: null, scopes: [] }, requestId: "1", reportProgress() {} });
       console.log(r.status, out.content[0].text);
       await r.plugin.shutdown();`,
    ]);
    expect(loaded.trim()).toBe("ready packed-and-loaded");
  });
});
