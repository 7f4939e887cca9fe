import { z } from "zod";
import {
  ArgsSchema,
  CommandSchema,
  ConnectTimeoutMsSchema,
  CwdSchema,
  EnvSchema,
  HeadersSchema,
  type McpServerConfig,
  RemoteUrlSchema,
  RequestTimeoutMsSchema,
} from "./mcp-server-config.js";

const timeoutFields = {
  connectTimeoutMs: ConnectTimeoutMsSchema.optional(),
  requestTimeoutMs: RequestTimeoutMsSchema.optional(),
};

/** A local server the gateway starts as a subprocess and talks to over stdin/stdout. */
const StdioEntrySchema = z.object({
  type: z.literal("stdio").optional(),
  command: CommandSchema,
  args: ArgsSchema,
  env: EnvSchema,
  cwd: CwdSchema.optional(),
  disabled: z.boolean().default(false),
  ...timeoutFields,
});

/** A remote server reached over Streamable HTTP (the default for a `url`) or the older SSE transport. */
const RemoteEntrySchema = z.object({
  type: z.enum(["http", "streamable-http", "streamableHttp", "sse"]).optional(),
  url: RemoteUrlSchema,
  headers: HeadersSchema,
  disabled: z.boolean().default(false),
  ...timeoutFields,
});

/**
 * One entry of an `mcpServers` object as Claude Desktop, Cursor and VS Code write it: `command`/`args`/`env`/`cwd`
 * for a local server, or `url`/`headers` (with an optional `type`) for a remote one; `disabled`, and the server's
 * own `connectTimeoutMs`/`requestTimeoutMs`. Its fields are the stored config's (`McpServerConfigSchema`), so the
 * config file, `waygate servers add`, `waygate servers import` and the admin API accept the same values.
 */
export const McpServerEntrySchema = z.union([StdioEntrySchema, RemoteEntrySchema], {
  error: "expected either a command (a local stdio server) or a url (a remote server)",
});
/** An `mcpServers` entry as written in a client's config file. */
export type McpServerEntryInput = z.input<typeof McpServerEntrySchema>;
/** A validated `mcpServers` entry. */
export type McpServerEntry = z.output<typeof McpServerEntrySchema>;

type Timeouts = Pick<McpServerConfig, "connectTimeoutMs" | "requestTimeoutMs">;
type Declared<T> = T extends unknown ? Omit<T, keyof Timeouts> & Partial<Timeouts> : never;

/**
 * An upstream in the stored config's shape with the timeouts it sets (none when unset, so the gateway's own apply):
 * what an `mcpServers` entry declares. A stored `McpServerConfig` is one too.
 */
export type McpServerDeclaration = Declared<McpServerConfig>;

/** The server an `mcpServers` entry declares, under `name`, in the stored config's shape. */
export function declarationOfEntry(name: string, entry: McpServerEntry): McpServerDeclaration {
  const shared = { name, enabled: !entry.disabled, ...timeoutsOf(entry) };
  if ("command" in entry) {
    return {
      ...shared,
      transport: "stdio",
      command: entry.command,
      args: entry.args,
      env: entry.env,
      ...(entry.cwd === undefined ? {} : { cwd: entry.cwd }),
    };
  }
  return {
    ...shared,
    transport: entry.type === "sse" ? "sse" : "http",
    url: entry.url,
    headers: entry.headers,
  };
}

/** A declared (or stored) server as an `mcpServers` entry, the shape a config file and `createGateway` take. */
export function entryOfDeclaration(server: McpServerDeclaration): McpServerEntryInput {
  const disabled = server.enabled ? {} : { disabled: true };
  return server.transport === "stdio"
    ? {
        command: server.command,
        args: server.args,
        env: server.env,
        ...(server.cwd === undefined ? {} : { cwd: server.cwd }),
        ...disabled,
        ...timeoutsOf(server),
      }
    : {
        type: server.transport,
        url: server.url,
        headers: server.headers,
        ...disabled,
        ...timeoutsOf(server),
      };
}

/** The timeouts set on a server or entry (none when unset), so they can be spread into another shape. */
export function timeoutsOf(server: Partial<Timeouts>): Partial<Timeouts> {
  return {
    ...(server.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: server.connectTimeoutMs }),
    ...(server.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: server.requestTimeoutMs }),
  };
}
