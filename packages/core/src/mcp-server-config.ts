import { z } from "zod";
import { redactUrl } from "./database/url.js";
import { isSecretKeyName, REDACTED } from "./redact.js";
import { McpServerNameSchema } from "./server-name.js";

export { McpServerNameSchema };

const common = {
  name: McpServerNameSchema,
  enabled: z.boolean().default(true),
  /** How long connecting (spawn + initialize) may take. */
  connectTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
  /** How long one request to the server may take. */
  requestTimeoutMs: z.number().int().min(100).max(3_600_000).default(60_000),
};

const HeadersSchema = z
  .record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "must be a valid HTTP header name"), z.string())
  .default({});
const RemoteUrlSchema = z.url({
  protocol: /^https?$/,
  error: "must be an http:// or https:// URL",
});

/** An MCP server run as a subprocess speaking stdio. */
export const StdioMcpServerConfigSchema = z.object({
  ...common,
  transport: z.literal("stdio"),
  command: z
    .string({ error: "a stdio server needs a command" })
    .trim()
    .min(1, "a stdio server needs a command"),
  args: z.array(z.string()).default([]),
  env: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a valid environment variable name"),
      z.string(),
    )
    .default({}),
  cwd: z.string().min(1).optional(),
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
    url: redactSecretQuery(redactUrl(config.url)),
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

function redactSecretQuery(url: string): string {
  return url.replace(/([?&])([^=&#]+)=([^&#]*)/g, (match, sep: string, name: string) =>
    isSecretKeyName(decodeURIComponent(name)) ? `${sep}${name}=${REDACTED}` : match,
  );
}
