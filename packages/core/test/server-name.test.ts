import { describe, expect, it } from "vitest";
import { McpServerNameSchema } from "../src/index.js";

describe("McpServerNameSchema (the one server-name rule)", () => {
  it.each(["a", "A9", "github", "my-server", "my_server", "a-", "9lives", "a_b-c", "x".repeat(64)])(
    "accepts %s",
    (name) => {
      expect(McpServerNameSchema.safeParse(name).success).toBe(true);
    },
  );

  it.each([
    ["", "1-64 letters"],
    ["_a", "starting with a letter or digit"],
    ["-a", "starting with a letter or digit"],
    ["a__b", "must not contain '__'"],
    ["a___b", "must not contain '__'"],
    ["a_", "must not end with '_'"],
    ["ab-_", "must not end with '_'"],
    ["a.b", "1-64 letters"],
    ["a b", "1-64 letters"],
    ["x".repeat(65), "1-64 letters"],
  ])("rejects %j, saying what to fix", (name, message) => {
    const result = McpServerNameSchema.safeParse(name);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.message).join("; ")).toContain(message);
  });

  it("never lets `<server>__<tool>` split at a different place than the server name ends", () => {
    for (const name of ["a", "a-", "a_b", "ab-_c"]) {
      expect(McpServerNameSchema.safeParse(name).success).toBe(true);
      const namespaced = `${name}__tool`;
      expect(namespaced.slice(0, namespaced.indexOf("__"))).toBe(name);
    }
  });
});
