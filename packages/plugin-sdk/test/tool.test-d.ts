import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { definePlugin, type PluginCallContext, tool } from "../src/index.js";

describe("tool() type inference", () => {
  it("types handler args from a raw zod shape", () => {
    tool({
      input: { name: z.string(), times: z.number().default(1), tags: z.array(z.string()).optional() },
      handler: (args, ctx) => {
        expectTypeOf(args).toEqualTypeOf<{ name: string; times: number; tags?: string[] | undefined }>();
        expectTypeOf(ctx).toEqualTypeOf<PluginCallContext<unknown>>();
        return "ok";
      },
    });
  });

  it("types handler args from a z.object schema", () => {
    tool({
      input: z.object({ id: z.uuid(), mode: z.enum(["a", "b"]) }),
      handler: (args) => {
        expectTypeOf(args).toEqualTypeOf<{ id: string; mode: "a" | "b" }>();
        return undefined;
      },
    });
  });

  it("requires the handler to return the output schema's shape when one is declared", () => {
    tool({
      input: {},
      output: z.object({ total: z.number() }),
      handler: () => ({ total: 1 }),
    });
    tool({
      input: {},
      output: z.object({ total: z.number() }),
      // @ts-expect-error total must be a number
      handler: () => ({ total: "1" }),
    });
  });

  it("rejects a handler that reads an argument the schema does not declare", () => {
    tool({
      input: { a: z.string() },
      handler: (args) => {
        // @ts-expect-error b is not in the schema
        return args.b;
      },
    });
  });
});

describe("definePlugin tools function", () => {
  it("types ctx.config from the plugin's config schema", () => {
    definePlugin({
      name: "typed",
      version: "1.0.0",
      config: z.object({ units: z.enum(["metric", "imperial"]).default("metric"), retries: z.number() }),
      tools: (tool) => ({
        convert: tool({
          input: { value: z.number() },
          handler: ({ value }, ctx) => {
            expectTypeOf(value).toEqualTypeOf<number>();
            expectTypeOf(ctx.config).toEqualTypeOf<{ units: "metric" | "imperial"; retries: number }>();
            // @ts-expect-error not in the config schema
            ctx.config.missing;
            return `${value} ${ctx.config.units}`;
          },
        }),
      }),
    });
  });
});
