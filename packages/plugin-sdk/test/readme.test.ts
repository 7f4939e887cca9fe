import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { isWaygatePlugin, type WaygatePlugin } from "../src/index.js";
import { createTestHarness } from "../src/testing/index.js";

const README = fileURLToPath(new URL("../README.md", import.meta.url));
const SNIPPET = fileURLToPath(new URL("./.readme-snippet.generated.ts", import.meta.url));

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
});
