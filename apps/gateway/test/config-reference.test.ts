import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { EnvSchema } from "../src/config/env.js";
import { normalizeTables, renderConfigReference, withConfigReference } from "../src/config/reference.js";

const README = join(dirname(fileURLToPath(import.meta.url)), "..", "README.md");

describe("the README's configuration reference", () => {
  it("matches what the zod schemas generate (run `pnpm docs:config` after changing them)", async () => {
    const readme = await readFile(README, "utf8");
    expect(normalizeTables(withConfigReference(readme))).toBe(normalizeTables(readme));
  });

  it("documents every environment variable and every config file section", () => {
    const reference = renderConfigReference();
    for (const name of Object.keys(EnvSchema.shape)) expect(reference).toContain(`\`${name}\``);
    for (const key of [
      "gateway.port",
      "mcpServers",
      "servers",
      "plugins",
      "keyPolicy.maxExpiresInDays",
      "stdioAllowlist",
      "stdioAllowlist[].env",
      "egress.allow",
    ]) {
      expect(reference).toContain(`\`${key}\``);
    }
  });

  it("ignores column alignment but catches a changed cell", () => {
    expect(normalizeTables("| a   | b |\n| --- | ---- |")).toBe(normalizeTables("| a | b |\n| --- | --- |"));
    expect(normalizeTables("| a | b |")).not.toBe(normalizeTables("| a | c |"));
  });

  it("refuses a README without the generated-section markers", () => {
    expect(() => withConfigReference("# no markers")).toThrow("config-reference markers");
  });
});
