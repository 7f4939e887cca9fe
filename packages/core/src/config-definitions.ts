import { z } from "zod";

/** One typed setting: its zod schema, a description for people, and an optional default. */
export interface ConfigDefinition<S extends z.ZodType = z.ZodType> {
  schema: S;
  description: string;
  default?: z.output<S>;
}

/** A map of setting keys to their definitions. */
export type ConfigDefinitions = Record<string, ConfigDefinition>;

/** The value type of setting `K`. */
export type ConfigValue<D extends ConfigDefinitions, K extends keyof D> = z.output<D[K]["schema"]>;

/** Declares a set of typed settings; an identity function that keeps the exact types. */
export function defineConfig<const D extends ConfigDefinitions>(definitions: D): D {
  return definitions;
}

/** The settings Waygate itself understands. */
export const defaultConfigDefinitions = defineConfig({
  "gateway.name": {
    schema: z.string().trim().min(1).max(100),
    description: "Name the gateway reports to MCP clients and in /status",
    default: "waygate",
  },
  "rateLimit.defaultPerMinute": {
    schema: z.number().int().positive(),
    description: "Requests per minute for API keys without their own limit",
    default: 60,
  },
  "audit.retentionDays": {
    schema: z.number().int().min(1).max(3650),
    description: "Days of command history to keep",
    default: 30,
  },
  "audit.maxArgumentBytes": {
    schema: z.number().int().min(256).max(1_048_576),
    description: "Largest serialised tool-call arguments stored per audit row, in bytes",
    default: 8192,
  },
  "metrics.retentionDays": {
    schema: z.number().int().min(1).max(3650),
    description: "Days of metric roll-ups to keep",
    default: 14,
  },
  "upstream.requestTimeoutMs": {
    schema: z.number().int().min(100).max(3_600_000),
    description: "Default timeout for a call to an upstream MCP server, in milliseconds",
    default: 30_000,
  },
  "mcp.autoInitialize": {
    schema: z.boolean(),
    description: "Connect to configured MCP servers at start instead of on first use",
    default: true,
  },
  "cors.origins": {
    schema: z.array(z.string().min(1)),
    description: "Origins allowed to call the gateway from a browser",
    default: [],
  },
});

/** The type of `defaultConfigDefinitions`. */
export type DefaultConfigDefinitions = typeof defaultConfigDefinitions;
