import { describe, expect, it } from "vitest";
import { StdioAllowlistEntrySchema } from "../src/stdio-allowlist.js";

describe("StdioAllowlistEntrySchema", () => {
  it("fills in empty args and env, leaving cwd unset", () => {
    expect(StdioAllowlistEntrySchema.parse({ command: "node" })).toEqual({
      command: "node",
      args: [],
      env: {},
    });
  });

  it("refuses a command line string, showing the entry's shape", () => {
    const result = StdioAllowlistEntrySchema.safeParse("node server.js");
    expect(result.error?.issues[0]?.message).toContain('{ "command": "node", "args": ["server.js"]');
  });

  it("refuses keys it does not know, so a misspelt env or cwd is not silently dropped", () => {
    const result = StdioAllowlistEntrySchema.safeParse({ command: "node", enviroment: { A: "1" } });
    expect(result.error?.issues[0]).toMatchObject({ code: "unrecognized_keys", keys: ["enviroment"] });
  });
});
