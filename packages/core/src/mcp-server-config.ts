import { z } from "zod";
import { redactUrl } from "./database/url.js";
import { isSecretKeyName, REDACTED, redactSecretPairs } from "./redact.js";
import { McpServerNameSchema } from "./server-name.js";

export { McpServerNameSchema };

// Each field is defined once, here; the stored shape below and the `mcpServers` entry shape
// (mcp-server-entry.ts: config file, `waygate servers add`, import, admin API) are both built from these, so every
// way in accepts and refuses the same values with the same messages.

/** How long connecting (spawn or connect, then initialize) may take, in milliseconds. */
export const ConnectTimeoutMsSchema = z
  .number({ error: "connectTimeoutMs must be a number of milliseconds" })
  // Not .int(): its issue would end an mcpServers entry's union as "invalid input" instead of naming the field.
  .multipleOf(1, { error: "connectTimeoutMs must be a whole number of milliseconds" })
  .min(100, { error: "connectTimeoutMs must be at least 100 (ms)" })
  .max(600_000, { error: "connectTimeoutMs must be at most 600000 (10 minutes)" })
  .describe("how long starting the server (spawn or connect, then initialize) may take");

/** How long one request to the server may take, in milliseconds. */
export const RequestTimeoutMsSchema = z
  .number({ error: "requestTimeoutMs must be a number of milliseconds" })
  // Not .int(): its issue would end an mcpServers entry's union as "invalid input" instead of naming the field.
  .multipleOf(1, { error: "requestTimeoutMs must be a whole number of milliseconds" })
  .min(100, { error: "requestTimeoutMs must be at least 100 (ms)" })
  .max(3_600_000, { error: "requestTimeoutMs must be at most 3600000 (1 hour)" })
  .describe("deadline of each request forwarded to the server (a tool call, a resource read, …)");

/** The command a stdio server runs. */
export const CommandSchema = z
  .string({ error: "a stdio server needs a command" })
  .trim()
  .min(1, "a stdio server needs a command");
/** The command's arguments. */
export const ArgsSchema = z.array(z.string()).default([]);
/**
 * A record whose keys must match `pattern`. Checked after parsing, not as a key schema, so that a bad key is an
 * ordinary issue (`env.1BAD: must be …`) and an `mcpServers` entry's union still reports it, not "invalid input".
 */
function keyedRecord(pattern: RegExp, message: string) {
  return z.record(z.string(), z.string()).superRefine((record, ctx) => {
    for (const key of Object.keys(record)) {
      if (!pattern.test(key)) ctx.addIssue({ code: "custom", path: [key], message, input: key });
    }
  });
}

/** Environment variables of a stdio server (values may be `${env:NAME}` references). */
export const EnvSchema = keyedRecord(
  /^[A-Za-z_][A-Za-z0-9_]*$/,
  "must be a valid environment variable name",
).default({});
/** The folder a stdio server runs in. */
export const CwdSchema = z.string().min(1, "cwd must not be empty");
/** Headers sent to a remote server (values may be `${env:NAME}` references). */
export const HeadersSchema = keyedRecord(
  /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/,
  "must be a valid HTTP header name",
).default({});
/** A remote server's address. */
export const RemoteUrlSchema = z.url({
  protocol: /^https?$/,
  error: "url must be an http:// or https:// URL",
});

const common = {
  name: McpServerNameSchema,
  enabled: z.boolean().default(true),
  connectTimeoutMs: ConnectTimeoutMsSchema.default(10_000),
  requestTimeoutMs: RequestTimeoutMsSchema.default(60_000),
};

/** An MCP server run as a subprocess speaking stdio. */
export const StdioMcpServerConfigSchema = z.object({
  ...common,
  transport: z.literal("stdio"),
  command: CommandSchema,
  args: ArgsSchema,
  env: EnvSchema,
  cwd: CwdSchema.optional(),
});

/** A remote MCP server reached over Streamable HTTP. */
export const HttpMcpServerConfigSchema = z.object({
  ...common,
  transport: z.literal("http"),
  url: RemoteUrlSchema,
  headers: HeadersSchema,
});

/** A remote MCP server reached over the older HTTP+SSE transport. */
export const SseMcpServerConfigSchema = z.object({
  ...common,
  transport: z.literal("sse"),
  url: RemoteUrlSchema,
  headers: HeadersSchema,
});

/** An upstream MCP server's configuration, one shape per `transport`. */
export const McpServerConfigSchema = z.discriminatedUnion(
  "transport",
  [StdioMcpServerConfigSchema, HttpMcpServerConfigSchema, SseMcpServerConfigSchema],
  {
    error: (issue) =>
      issue.code === "invalid_union" ? 'transport must be "stdio", "http" or "sse"' : undefined,
  },
);
export type McpServerConfig = z.output<typeof McpServerConfigSchema>;
export type McpServerConfigInput = z.input<typeof McpServerConfigSchema>;

/** A copy of `config` safe to display: env and header values, secret-looking args and URL credentials hidden. */
export function redactMcpServerConfig(config: McpServerConfig): McpServerConfig {
  if (config.transport === "stdio") {
    return {
      ...config,
      args: redactArgs(config.args),
      env: Object.fromEntries(Object.keys(config.env).map((key) => [key, REDACTED])),
    };
  }
  return {
    ...config,
    url: redactSecretPairs(redactUrl(config.url)),
    headers: Object.fromEntries(Object.keys(config.headers).map((key) => [key, REDACTED])),
  };
}

function redactArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  let hideNext = false;
  for (const arg of args) {
    if (hideNext) {
      out.push(REDACTED);
      hideNext = false;
      continue;
    }
    const flag = /^--?([A-Za-z0-9_-]+)(=.*)?$/.exec(arg);
    if (flag?.[1] && isSecretKeyName(flag[1])) {
      if (flag[2] === undefined) hideNext = true;
      out.push(flag[2] === undefined ? arg : `${arg.slice(0, arg.indexOf("="))}=${REDACTED}`);
      continue;
    }
    out.push(arg);
  }
  return out;
}
