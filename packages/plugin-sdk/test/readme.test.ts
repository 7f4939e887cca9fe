import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { isWaygatePlugin, type WaygatePlugin } from "../src/index.js";
import { createTestHarness } from "../src/testing/index.js";

const README = fileURLToPath(new URL("../README.md", import.meta.url));
const SNIPPET = fileURLToPath(new URL("./.readme-snippet.generated.ts", import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(import.meta.url);
const tsc = require.resolve("typescript/bin/tsc");
const run = promisify(execFile);
const pluginSnippets = () =>
  [...readFileSync(README, "utf8").matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((match) => match[1] ?? "")
    .filter((code) => code.includes("export default"));

/** A fresh project made by `tsc --init`, with the SDK and zod linked in as `npm install` would put them. */
function freshProject(manifest: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), "waygate-readme-"));
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "my-plugin", version: "1.0.0", ...manifest }),
  );
  mkdirSync(join(dir, "node_modules", "@waygate"), { recursive: true });
  symlinkSync(PACKAGE_DIR, join(dir, "node_modules", "@waygate", "plugin-sdk"), "dir");
  symlinkSync(dirname(require.resolve("zod/package.json")), join(dir, "node_modules", "zod"), "dir");
  mkdirSync(join(dir, "src"));
  for (const [index, code] of pluginSnippets().entries())
    writeFileSync(join(dir, "src", `plugin-${index}.ts`), code);
  return dir;
}
const compileErrors = async (dir: string) => {
  await run(process.execPath, [tsc, "--init"], { cwd: dir });
  return run(process.execPath, [tsc, "-p", ".", "--noEmit"], { cwd: dir }).then(
    () => "",
    (error: { stdout: string }) => error.stdout,
  );
};

describe("README", () => {
  afterAll(() => rmSync(SNIPPET, { force: true }));

  it("opens with a working plugin of under 30 lines that an unreleased 0.0.0 host starts", async () => {
    const code = /```ts\n([\s\S]*?)```/.exec(readFileSync(README, "utf8"))?.[1] ?? "";
    expect(code.trim().split("\n").length).toBeLessThan(30);
    writeFileSync(SNIPPET, code);
    const { default: plugin } = (await import(SNIPPET)) as { default: WaygatePlugin };
    expect(isWaygatePlugin(plugin)).toBe(true);
    const harness = await createTestHarness(plugin, { config: { units: "imperial" }, hostVersion: "0.0.0" });
    const result = await harness.callTool("forecast", { city: "Oslo" });
    expect(result.content[0]).toMatchObject({ text: "Oslo: sunny for 1 day(s), 21 degrees (imperial)" });
    expect(harness.progress).toEqual([{ progress: 1, total: 1, message: "looked it up" }]);
    const bad = await harness.callTool("forecast", { city: "" });
    expect(bad.isError).toBe(true);
    await harness.close();
  });

  it("has only absolute links, which still work inside the packed tarball", () => {
    const links = [...readFileSync(README, "utf8").matchAll(/\]\(([^)\s]+)\)/g)].map(
      (match) => match[1] ?? "",
    );
    expect(links.filter((link) => !/^(https?:\/\/|#)/.test(link))).toEqual([]);
  });

  it('its plugin examples compile under tsc --init defaults plus the README\'s "type": "module"', async () => {
    expect(pluginSnippets()).toHaveLength(2);
    const dir = freshProject({ type: "module" });
    try {
      expect(await compileErrors(dir)).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('its plugin examples do not compile without "type": "module", which is why the README asks for it', async () => {
    const dir = freshProject({});
    try {
      expect(await compileErrors(dir)).toContain("error TS1295");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
