import { McpServerNameSchema } from "@waygate/core/server-name";
import { z } from "zod";

/** What a server name must look like (it prefixes its tools as `<server>__<tool>`): core's one rule. */
export const ServerNameSchema = McpServerNameSchema;

const stringMap = z.record(z.string(), z.string());

/** A server's own deadlines, in milliseconds; unset ones fall back to the gateway's (core's bounds). */
const timeoutFields = {
  connectTimeoutMs: z
    .number({ error: "connectTimeoutMs must be a number of milliseconds" })
    .int({ error: "connectTimeoutMs must be a whole number of milliseconds" })
    .min(100, { error: "connectTimeoutMs must be at least 100 (ms)" })
    .max(600_000, { error: "connectTimeoutMs must be at most 600000 (10 minutes)" })
    .optional()
    .describe("how long starting the server (spawn or connect, then initialize) may take"),
  requestTimeoutMs: z
    .number({ error: "requestTimeoutMs must be a number of milliseconds" })
    .int({ error: "requestTimeoutMs must be a whole number of milliseconds" })
    .min(100, { error: "requestTimeoutMs must be at least 100 (ms)" })
    .max(3_600_000, { error: "requestTimeoutMs must be at most 3600000 (1 hour)" })
    .optional()
    .describe("deadline of each request forwarded to the server (a tool call, a resource read, …)"),
};

/** The timeouts an upstream may carry. */
export interface UpstreamTimeouts {
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/** A local server the gateway starts as a subprocess and talks to over stdin/stdout. */
const StdioEntrySchema = z.object({
  type: z.literal("stdio").optional(),
  command: z.string().min(1, { error: "command must not be empty" }),
  args: z.array(z.string()).default([]),
  env: stringMap.default({}),
  cwd: z.string().min(1).optional(),
  disabled: z.boolean().default(false),
  ...timeoutFields,
});

/** A remote server reached over Streamable HTTP (the default for a `url`) or the older SSE transport. */
const RemoteEntrySchema = z.object({
  type: z.enum(["http", "streamable-http", "streamableHttp", "sse"]).optional(),
  url: z.url({ protocol: /^https?$/, error: "url must be an http:// or https:// URL" }),
  headers: stringMap.default({}),
  disabled: z.boolean().default(false),
  ...timeoutFields,
});

/**
 * One entry of an `mcpServers` object as Claude Desktop, Cursor and VS Code write it: `command`/`args`/`env`
 * for a local server, or `url`/`headers` (with an optional `type`) for a remote one. Other keys are ignored here;
 * `normaliseServerEntry` maps other clients' names first and names each ignored key in a warning.
 */
export const ServerEntrySchema = z.union([StdioEntrySchema, RemoteEntrySchema], {
  error: "expected either a command (a local stdio server) or a url (a remote server)",
});

/** A server entry as written in a client's config file. */
export type ServerEntry = z.input<typeof ServerEntrySchema>;

/** An upstream MCP server in the gateway's own normalised shape. */
export type UpstreamServer = UpstreamTimeouts &
  (
    | {
        name: string;
        transport: "stdio";
        command: string;
        args: string[];
        env: Record<string, string>;
        cwd?: string;
        enabled: boolean;
      }
    | {
        name: string;
        transport: "http" | "sse";
        url: string;
        headers: Record<string, string>;
        enabled: boolean;
      }
  );

/** Turns a validated client-style entry into the gateway's upstream shape. */
export function toUpstreamServer(name: string, entry: z.output<typeof ServerEntrySchema>): UpstreamServer {
  const timeouts = timeoutsOf(entry);
  if ("command" in entry) {
    return {
      name,
      transport: "stdio",
      command: entry.command,
      args: entry.args,
      env: entry.env,
      ...(entry.cwd === undefined ? {} : { cwd: entry.cwd }),
      enabled: !entry.disabled,
      ...timeouts,
    };
  }
  return {
    name,
    transport: entry.type === "sse" ? "sse" : "http",
    url: entry.url,
    headers: entry.headers,
    enabled: !entry.disabled,
    ...timeouts,
  };
}

/** The timeouts set on a server (none when unset), so they can be spread into another shape. */
export function timeoutsOf(server: UpstreamTimeouts): UpstreamTimeouts {
  return {
    ...(server.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: server.connectTimeoutMs }),
    ...(server.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: server.requestTimeoutMs }),
  };
}
