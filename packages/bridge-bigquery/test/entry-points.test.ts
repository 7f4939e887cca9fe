import { createRequire } from "node:module";
import { isWaygatePlugin, isWaygatePluginClass } from "@waygate/plugin-sdk";
import { describe, expect, it } from "vitest";

describe("entry points (the built package, as the gateway imports it by name)", () => {
  it("exports the bridge class as the ESM default export, recognised as a plugin class", async () => {
    // A computed specifier, so typechecking does not need the build output.
    const esmEntry = new URL("../dist/index.js", import.meta.url).href;
    const module = (await import(esmEntry)) as Record<string, unknown>;
    expect(module.default).toBe(module.BigqueryBridge);
    expect(isWaygatePluginClass(module.default)).toBe(true);
    const plugin = new (module.default as new () => unknown)();
    expect(isWaygatePlugin(plugin)).toBe(true);
    expect((plugin as { metadata: { name: string } }).metadata.name).toBe("bigquery");
  });

  it("exports the same API to CommonJS", () => {
    const module = createRequire(import.meta.url)("../dist/index.cjs") as Record<string, unknown>;
    expect(isWaygatePluginClass(module.default)).toBe(true);
    expect(typeof module.BridgeConfigError).toBe("function");
  });
});
