import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const PACKAGE = fileURLToPath(new URL("..", import.meta.url));

describe("the package entry", () => {
  it("exports consoleAssetsDir from ESM and CJS, pointing at a built app with no inline script", () => {
    const esm = execFileSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import("@waygate/console").then((m) => console.log(m.consoleAssetsDir))`,
      ],
      { cwd: PACKAGE, encoding: "utf8" },
    ).trim();
    const cjs = execFileSync(
      process.execPath,
      ["-e", `console.log(require("@waygate/console").consoleAssetsDir)`],
      { cwd: PACKAGE, encoding: "utf8" },
    ).trim();
    expect(esm).toBe(join(PACKAGE, "dist", "app"));
    expect(cjs).toBe(esm);
    const html = readFileSync(join(esm, "index.html"), "utf8");
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1] ?? "");
    expect(scripts.length).toBeGreaterThan(0);
    for (const attributes of scripts) expect(attributes).toMatch(/src="\.\/assets\/[\w-]+\.js"/);
    for (const [, src] of html.matchAll(/(?:src|href)="\.\/([^"]+)"/g))
      expect(existsSync(join(esm, src!))).toBe(true);
  });
});
