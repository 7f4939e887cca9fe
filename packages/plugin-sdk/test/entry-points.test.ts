import { existsSync, readFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const DIST = fileURLToPath(new URL("../dist/", import.meta.url));

/** Every bare module specifier reachable from a built ESM entry, following its relative chunks. */
function externalImports(entry: string): Set<string> {
  const seen = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(
      /(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|import\s*["']([^"']+)["']/g,
    )) {
      const specifier = match[1] ?? match[2] ?? match[3]!;
      if (specifier.startsWith(".")) visit(join(dirname(file), specifier));
      else
        external.add(
          isBuiltin(specifier) && !specifier.startsWith("node:") ? `node:${specifier}` : specifier,
        );
    }
  };
  visit(join(DIST, entry));
  return external;
}

describe("entry points", () => {
  it("keeps Node-only and heavy parts out of the root entry", () => {
    if (!existsSync(join(DIST, "index.js")))
      throw new Error("build the SDK first: pnpm --filter @waygate/plugin-sdk build");
    const root = [...externalImports("index.js")];
    expect(root.filter((s) => s.startsWith("node:"))).toEqual([]);
    expect(root.filter((s) => s.startsWith("@modelcontextprotocol/"))).toEqual([]);
    // @waygate/errors is the error root every Waygate package shares; it has no dependencies of its own.
    expect(root).toEqual(["@waygate/errors", "zod"]);
    const errorsManifest = JSON.parse(
      readFileSync(join(DIST, "..", "..", "errors", "package.json"), "utf8"),
    ) as { dependencies?: Record<string, string> };
    expect(errorsManifest.dependencies ?? {}).toEqual({});
  });

  it("puts the bridge's process and client code behind @waygate/plugin-sdk/bridge", () => {
    const bridge = externalImports("bridge.js");
    expect(bridge).toContain("node:child_process");
    expect(bridge).toContain("@modelcontextprotocol/client");
    expect(bridge).toContain("@modelcontextprotocol/client/stdio");
    expect(externalImports("loader.js")).toContain("node:module");
    expect(externalImports("testing.js")).toContain("node:crypto");
  });
});
