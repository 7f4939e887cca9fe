import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createMemoryLogger, definePlugin, tool } from "../src/index.js";
import { type LoadedPlugin, loadPlugin, loadPlugins } from "../src/loader/index.js";

// Plugins on disk import the *built* SDK while this test uses the sources: two copies of the SDK,
// as when a plugin brings its own, so recognition must rest on the brand and not on instanceof.
const DIST_ESM = pathToFileURL(fileURLToPath(new URL("../dist/index.js", import.meta.url))).href;
const DIST_CJS = fileURLToPath(new URL("../dist/index.cjs", import.meta.url));

const ctx = () => ({
  signal: new AbortController().signal,
  caller: { keyId: "k", scopes: [] },
  requestId: "r1",
  reportProgress: () => {},
});

describe("loadPlugin", () => {
  let dir: string;
  const loaded: LoadedPlugin[] = [];

  beforeAll(() => {
    if (!existsSync(DIST_CJS))
      throw new Error("build the SDK first: pnpm --filter @waygate/plugin-sdk build");
    dir = mkdtempSync(join(tmpdir(), "waygate-loader-"));
    const write = (path: string, text: string) => {
      mkdirSync(join(dir, path, ".."), { recursive: true });
      writeFileSync(join(dir, path), text);
    };
    write("package.json", JSON.stringify({ name: "host", private: true }));
    // The plugin package imports zod itself, as a published plugin would.
    mkdirSync(join(dir, "node_modules"), { recursive: true });
    const zodDir = dirname(createRequire(import.meta.url).resolve("zod/package.json"));
    symlinkSync(zodDir, join(dir, "node_modules/zod"), "dir");
    write(
      "node_modules/acme-plugin/package.json",
      JSON.stringify({ name: "acme-plugin", type: "module", exports: "./index.js" }),
    );
    write(
      "node_modules/acme-plugin/index.js",
      `import { definePlugin, tool } from ${JSON.stringify(DIST_ESM)};
import { z } from "zod";
export default definePlugin({
  name: "acme", version: "1.2.0", hostVersions: "^0.1.0",
  config: z.object({ shout: z.boolean().default(false) }),
  tools: { say: tool({ input: { text: z.string() }, handler: ({ text }, ctx) => ctx.config.shout ? text.toUpperCase() : text }) },
});`,
    );
    write(
      "class-plugin.cjs",
      `const { BasePlugin, textResult } = require(${JSON.stringify(DIST_CJS)});
class CountPlugin extends BasePlugin {
  metadata = { name: "count", version: "0.1.0" };
  getTools() { return [{ name: "count", inputSchema: { type: "object" } }]; }
  async execute() { return textResult("1"); }
}
module.exports = { CountPlugin };`,
    );
    write("throws-on-import.mjs", `throw new Error("top-level boom");`);
    write("not-a-plugin.mjs", `export default { hello: "world" };`);
    write(
      "fails-initialize.mjs",
      `import { definePlugin } from ${JSON.stringify(DIST_ESM)};
export const plugin = definePlugin({ name: "grumpy", version: "1.0.0", initialize() { throw new Error("no database here"); } });`,
    );
    write(
      "bad-tool-name.mjs",
      `import { BasePlugin, textResult } from ${JSON.stringify(DIST_ESM)};
export default class extends BasePlugin {
  metadata = { name: "dotty", version: "1.0.0" };
  get validatesToolNames() { return false; }
  getTools() { return [{ name: "has.dot", inputSchema: { type: "object" } }]; }
  async execute() { return textResult(""); }
}`,
    );
  });

  afterAll(async () => {
    await Promise.all(loaded.map((entry) => entry.plugin?.shutdown()));
    rmSync(dir, { recursive: true, force: true });
  });

  const load = async (...args: Parameters<typeof loadPlugin>) => {
    const result = await loadPlugin(args[0], { cwd: dir, ...args[1] });
    loaded.push(result);
    return result;
  };

  it("loads a package by name from the host's node_modules, with config and host version", async () => {
    const result = await load("acme-plugin", { config: { shout: true }, hostVersion: "0.1.5" });
    expect(result).toMatchObject({ source: "acme-plugin", name: "acme", status: "ready", error: undefined });
    expect(await result.plugin!.callTool("say", { text: "hi" }, ctx())).toEqual({
      content: [{ type: "text", text: "HI" }],
    });
  });

  it("loads a file path exporting a BasePlugin subclass and instantiates it", async () => {
    const result = await load("./class-plugin.cjs");
    expect(result).toMatchObject({ name: "count", status: "ready" });
    expect((await result.plugin!.listTools()).map((t) => t.name)).toEqual(["count"]);
  });

  it("accepts a definePlugin result or a class given directly", async () => {
    const inline = definePlugin({
      name: "inline",
      version: "1.0.0",
      tools: { t: tool({ input: {}, handler: () => "ok" }) },
    });
    expect(await load(inline)).toMatchObject({ source: "(inline)", name: "inline", status: "ready" });
  });

  it("isolates a module that throws on import, keeping the error", async () => {
    const logger = createMemoryLogger();
    const result = await load("./throws-on-import.mjs", { logger });
    expect(result.status).toBe("failed");
    expect(result.error).toMatchObject({
      code: "PLUGIN_LOAD_FAILED",
      message: "Importing plugin './throws-on-import.mjs' failed: top-level boom",
    });
    expect(logger.records).toContainEqual(
      expect.objectContaining({ level: "error", message: "plugin failed to load" }),
    );
  });

  it("isolates a plugin whose initialize throws and marks it failed", async () => {
    const result = await load("./fails-initialize.mjs");
    expect(result).toMatchObject({ name: "grumpy", status: "failed" });
    expect(result.error?.message).toBe("Plugin 'grumpy' failed to load: no database here");
    expect(result.plugin?.getStatus().state).toBe("stopped");
  });

  it("rejects a module that exports no plugin, saying what to export", async () => {
    const result = await load("./not-a-plugin.mjs");
    expect(result.error).toMatchObject({ code: "PLUGIN_INVALID" });
    expect(result.error?.message).toContain(
      "export default a BasePlugin subclass, an instance, or a definePlugin() result",
    );
  });

  it("reports a package that is not installed", async () => {
    const result = await load("not-installed-plugin");
    expect(result.error).toMatchObject({ code: "PLUGIN_LOAD_FAILED" });
    expect(result.error?.message).toMatch(/^Cannot find plugin package 'not-installed-plugin' from /);
  });

  it("rejects invalid config, an unsupported host version and bad tool names with their own codes", async () => {
    expect((await load("acme-plugin", { config: { shout: "yes" } })).error).toMatchObject({
      code: "PLUGIN_CONFIG_INVALID",
      message: expect.stringContaining("shout: "),
    });
    expect((await load("acme-plugin", { hostVersion: "1.0.0" })).error).toMatchObject({
      code: "PLUGIN_HOST_VERSION_UNSUPPORTED",
    });
    expect((await load("./bad-tool-name.mjs")).error).toMatchObject({
      code: "TOOL_NAME_INVALID",
      message: "Plugin 'dotty' declares tool 'has.dot': tool names must match ^[a-zA-Z0-9_-]{1,64}$",
    });
  });

  it("fails a plugin whose start does not finish in time", async () => {
    const slow = definePlugin({ name: "sloth", version: "1.0.0", initialize: () => new Promise(() => {}) });
    const result = await load(slow, { startTimeoutMs: 100 });
    expect(result.error?.message).toBe("Starting plugin 'sloth' did not finish within 100 ms");
  });

  it("loads the good plugins of a list even when others fail, and refuses duplicate names", async () => {
    const results = await loadPlugins(
      [
        { source: "./throws-on-import.mjs" },
        { source: "acme-plugin" },
        { source: definePlugin({ name: "acme", version: "9.9.9", config: z.object({}) }) },
        { source: "./class-plugin.cjs" },
      ],
      { cwd: dir },
    );
    loaded.push(...results);
    expect(results.map((r) => [r.name ?? r.source, r.status])).toEqual([
      ["./throws-on-import.mjs", "failed"],
      ["acme", "ready"],
      ["acme", "failed"],
      ["count", "ready"],
    ]);
    expect(results[2]?.error?.message).toBe(
      "Plugin name 'acme' from '(inline)' is already used by 'acme-plugin'",
    );
  });
});
