import { z } from "zod";
import { MIN_MAX_ARGUMENT_BYTES } from "./audit/audit-entry.js";

/** One typed setting: its zod schema, a description for people, an optional default, and whether it applies live. */
export interface ConfigDefinition<S extends z.ZodType = z.ZodType> {
  schema: S;
  description: string;
  default?: z.output<S>;
  /**
   * True when a running gateway applies a change at once (on every replica, through the database); false when the
   * setting is read at start only and belongs in the config file or environment.
   */
  runtime?: boolean;
}

/** A map of setting keys to their definitions. */
export type ConfigDefinitions = Record<string, ConfigDefinition>;

/** The value type of setting `K`. */
export type ConfigValue<D extends ConfigDefinitions, K extends keyof D> = z.output<D[K]["schema"]>;

/** Declares a set of typed settings; an identity function that keeps the exact types. */
export function defineConfig<const D extends ConfigDefinitions>(definitions: D): D {
  return definitions;
}

/** The log levels of the gateway's logger, most severe first. */
export const LOG_LEVEL_VALUES = ["error", "warn", "info", "http", "verbose", "debug", "silly"] as const;

/** The settings Waygate itself understands. */
export const defaultConfigDefinitions = defineConfig({
  "gateway.name": {
    schema: z.string().trim().min(1).max(100),
    description: "Name the gateway reports to MCP clients and in /status",
    default: "waygate",
  },
  "rateLimit.defaultPerMinute": {
    schema: z.number().int().positive().max(1_000_000),
    description: "Requests per minute for API keys without their own limit",
    default: 600,
    runtime: true,
  },
  "audit.retentionDays": {
    schema: z.number().int().min(1).max(3650),
    description: "Days of command history to keep",
    default: 30,
  },
  "audit.maxArgumentBytes": {
    schema: z.number().int().min(MIN_MAX_ARGUMENT_BYTES).max(1_048_576),
    description: "Largest serialised tool-call arguments stored per audit row, in bytes",
    default: 8192,
  },
  "metrics.retainDays": {
    schema: z.number().int().min(1).max(3650),
    description: "Days of metric roll-ups (the metrics table) to keep",
    default: 14,
    runtime: true,
  },
  "metrics.downsampleAfterHours": {
    schema: z.number().int().min(1).max(87_600),
    description: "Metric roll-ups older than this many hours are merged into hourly rows (totals are kept)",
    default: 48,
    runtime: true,
  },
  "upstream.requestTimeoutMs": {
    schema: z.number().int().min(100).max(3_600_000),
    description: "Deadline of a tool call (any request forwarded to a plugin or upstream), in milliseconds",
    default: 60_000,
    runtime: true,
  },
  "log.level": {
    schema: z.enum(LOG_LEVEL_VALUES),
    description: `Least severe log level written (${LOG_LEVEL_VALUES.join(", ")})`,
    default: "info",
    runtime: true,
  },
  "pinning.mode": {
    schema: z.enum(["strict", "warn", "off"]),
    description:
      "Definition pinning for servers without their own mode: strict hides changed definitions, warn flags them, off does not pin",
    default: "warn",
    runtime: true,
  },
  "mcp.maxSessions": {
    schema: z.number().int().positive().max(1_000_000),
    description: "Most MCP sessions open at once; further initializes get 503",
    default: 1000,
    runtime: true,
  },
  "mcp.maxSessionsPerKey": {
    schema: z.number().int().positive().max(1_000_000),
    description: "Most MCP sessions one key holds at once",
    default: 50,
    runtime: true,
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

/**
 * Settings that widen what the gateway may reach or run. They are never stored in the database nor changed over the
 * admin API: only the operator on the host sets them, in the config file or the environment.
 */
export const FILE_ONLY_SETTINGS: Readonly<Record<string, string>> = {
  stdioAllowlist:
    "the stdio commands the admin API may register (a command sent over HTTP is code execution)",
  "egress.allow": "the networks http/sse upstreams may reach",
  auth: "whether callers must authenticate (`none` turns authentication off)",
  "oauth.issuer": "which issuer's access tokens are accepted",
};
