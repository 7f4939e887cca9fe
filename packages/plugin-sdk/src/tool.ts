import type { CallToolResult, Tool, ToolAnnotations } from "@modelcontextprotocol/client";
import { z } from "zod";
import type { PluginCallContext } from "./plugin.js";

/** A tool's input: a zod object schema, or its raw shape as in the MCP SDK's `registerTool`. */
export type ToolInput = z.ZodObject | z.ZodRawShape;

/** The argument type a handler receives for a given input schema. */
export type ToolArgs<Input extends ToolInput> = Input extends z.ZodObject
  ? z.output<Input>
  : Input extends z.ZodRawShape
    ? z.output<z.ZodObject<Input>>
    : never;

/** What a handler may return: a full result, a string (text), a plain object (structured), or nothing. */
export type ToolReturn<Output extends z.ZodObject | undefined> = Output extends z.ZodObject
  ? z.input<Output> | CallToolResult
  : CallToolResult | string | Record<string, unknown> | undefined;

/** The definition of one tool, as passed to {@link tool}. */
export interface ToolDefinition<
  Input extends ToolInput,
  Output extends z.ZodObject | undefined = undefined,
  Config = unknown,
> {
  title?: string;
  description?: string;
  input: Input;
  /** When set, the handler's result is checked against it and sent as `structuredContent`. */
  output?: Output;
  annotations?: ToolAnnotations;
  handler(
    args: ToolArgs<Input>,
    ctx: PluginCallContext<Config>,
  ): ToolReturn<Output> | Promise<ToolReturn<Output>>;
}

/** A tool definition after {@link tool}: schemas compiled once, ready for definePlugin. */
export interface DefinedTool<Config = unknown> {
  readonly kind: "waygate.tool";
  readonly inputSchema: z.ZodObject;
  readonly outputSchema: z.ZodObject | undefined;
  /** The MCP tool entry without its name (definePlugin adds the key as the name). */
  readonly descriptor: Omit<Tool, "name">;
  // biome-ignore lint/suspicious/noExplicitAny: handlers are stored type-erased after inference is done.
  readonly handler: (args: any, ctx: PluginCallContext<Config>) => unknown;
}

// Duck-typed rather than `instanceof`, so schemas built with the author's own copy of zod work too.
function toObjectSchema(input: ToolInput): z.ZodObject {
  const isSchema = typeof (input as { safeParse?: unknown }).safeParse === "function";
  return isSchema ? (input as z.ZodObject) : z.object(input as z.ZodRawShape);
}

function toJsonSchema(schema: z.ZodObject, io: "input" | "output"): Tool["inputSchema"] {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return { ...json, type: "object" } as Tool["inputSchema"];
}

/** Declares a tool whose handler arguments are typed from, and validated against, its zod input schema. */
export function tool<
  Input extends ToolInput,
  Output extends z.ZodObject | undefined = undefined,
  Config = unknown,
>(definition: ToolDefinition<Input, Output, Config>): DefinedTool<Config> {
  const inputSchema = toObjectSchema(definition.input);
  const outputSchema = definition.output;
  return {
    kind: "waygate.tool",
    inputSchema,
    outputSchema,
    descriptor: {
      ...(definition.title ? { title: definition.title } : {}),
      ...(definition.description ? { description: definition.description } : {}),
      inputSchema: toJsonSchema(inputSchema, "input"),
      ...(outputSchema ? { outputSchema: toJsonSchema(outputSchema, "output") } : {}),
      ...(definition.annotations ? { annotations: definition.annotations } : {}),
    },
    handler: definition.handler,
  };
}

/** The `tool` factory with the plugin's config type bound, as passed to a `tools: (tool) => ({...})` function. */
export type ConfiguredTool<Config> = <
  Input extends ToolInput,
  Output extends z.ZodObject | undefined = undefined,
>(
  definition: ToolDefinition<Input, Output, Config>,
) => DefinedTool<Config>;
