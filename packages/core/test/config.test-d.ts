import { describe, expectTypeOf, it } from "vitest";
import { createRepositories, type McpServerConfig, type WaygateDatabase } from "../src/index.js";

declare const db: WaygateDatabase;
const repos = createRepositories(db, { secretKey: "x".repeat(32) });

describe("typed settings", () => {
  it("infers each setting's value type from its zod schema", () => {
    expectTypeOf(repos.config.get("rateLimit.defaultPerMinute")).resolves.toEqualTypeOf<number | undefined>();
    expectTypeOf(repos.config.get("cors.origins")).resolves.toEqualTypeOf<string[] | undefined>();
    expectTypeOf(repos.config.set<"mcp.autoInitialize">)
      .parameter(1)
      .toEqualTypeOf<boolean>();
    // @ts-expect-error unknown keys do not type-check
    void repos.config.get("no.such.key");
    // @ts-expect-error a number setting does not accept a string
    void repos.config.set("rateLimit.defaultPerMinute", "many");
  });

  it("narrows MCP server configs by transport", () => {
    expectTypeOf<Extract<McpServerConfig, { transport: "stdio" }>["command"]>().toEqualTypeOf<string>();
    expectTypeOf<Extract<McpServerConfig, { transport: "http" }>["url"]>().toEqualTypeOf<string>();
  });
});
