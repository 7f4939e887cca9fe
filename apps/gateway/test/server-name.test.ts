import { McpServerNameSchema } from "@waygate/core";
import { ServerNameSchema as GatewayServerNameSchema } from "@waygate/server";
import { describe, expect, it } from "vitest";
import { ServerNameSchema } from "../src/config/server-entry.js";

const NAMES = [
  "github",
  "my-server",
  "my_server",
  "a",
  "9lives",
  "x".repeat(64),
  "x".repeat(65),
  "my__server",
  "_private",
  "-dash",
  "has space",
  "dot.name",
  "",
  "émoji",
  "trailing_",
  "a_",
  "a-",
  "a___b",
];

describe("server names", () => {
  it("is core's McpServerNameSchema itself, in the CLI and in createGateway", () => {
    expect(ServerNameSchema).toBe(McpServerNameSchema);
    expect(GatewayServerNameSchema).toBe(McpServerNameSchema);
  });

  it("accepts exactly the names createGateway accepts", () => {
    for (const name of NAMES) {
      expect({ name, ok: ServerNameSchema.safeParse(name).success }).toEqual({
        name,
        ok: GatewayServerNameSchema.safeParse(name).success,
      });
    }
  });

  it("accepts only names the database accepts too, so a stored server can always be written", () => {
    for (const name of NAMES.filter((candidate) => ServerNameSchema.safeParse(candidate).success)) {
      expect({ name, ok: McpServerNameSchema.safeParse(name).success }).toEqual({ name, ok: true });
    }
  });

  it("refuses a trailing '_', since 'a_' + '__tool' would not split uniquely, and accepts a trailing '-'", () => {
    expect(ServerNameSchema.safeParse("a_").error?.issues[0]?.message).toContain("must not end with '_'");
    expect(ServerNameSchema.safeParse("a-").success).toBe(true);
  });

  it("explains a name with '__' and one that starts with '_'", () => {
    expect(ServerNameSchema.safeParse("a__b").error?.issues[0]?.message).toContain("must not contain '__'");
    expect(ServerNameSchema.safeParse("_a").error?.issues[0]?.message).toContain(
      "starting with a letter or digit",
    );
  });
});
