import type { McpServerConfig, McpServerConfigInput } from "@waygate/core";
import { z } from "zod";
import { BadRequestError } from "../errors/errors.js";
import type { UpstreamTimeouts } from "./upstream-plugin.js";

/** A server's own deadlines, in the config file's and the admin API's `mcpServers` entries (core's bounds). */
const timeoutFields = {
  connectTimeoutMs: z
    .number()
    .int("connectTimeoutMs must be a whole number of milliseconds")
    .min(100, "connectTimeoutMs must be at least 100")
    .max(600_000, "connectTimeoutMs must be at most 600000 (10 minutes)")
    .optional(),
  requestTimeoutMs: z
    .number()
    .int("requestTimeoutMs must be a whole number of milliseconds")
    .min(100, "requestTimeoutMs must be at least 100")
    .max(3_600_000, "requestTimeoutMs must be at most 3600000 (1 hour)")
    .optional(),
};

const StdioEntrySchema = z.object({
  type: z.literal("stdio").optional(),
  command: z.string().min(1, "command must not be empty"),
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().optional(),
  disabled: z.boolean().optional(),
  ...timeoutFields,
});

const RemoteEntrySchema = z.object({
  type: z.enum(["http", "streamable-http", "sse"]).optional(),
  url: z.url("url must be an absolute http(s) URL"),
  headers: z.record(z.string(), z.string()).default({}),
  disabled: z.boolean().optional(),
  ...timeoutFields,
});

/** One entry of an `mcpServers` object, as Claude Desktop, Cursor and VS Code write it. */
export const UpstreamEntrySchema = z.union([StdioEntrySchema, RemoteEntrySchema]);
/** A validated `mcpServers` entry. */
export type UpstreamEntry = z.output<typeof UpstreamEntrySchema>;

/** The bridge transport an entry describes. */
export type UpstreamTransport =
  | { type: "stdio"; command: string; args: string[]; env: Record<string, string>; cwd?: string }
  | { type: "http" | "sse"; url: string; headers: Record<string, string> };

/** Validates an `mcpServers` entry and turns it into a bridge transport; errors name the server and field. */
export function parseUpstreamEntry(
  name: string,
  entry: unknown,
): { transport: UpstreamTransport; disabled: boolean; timeouts: UpstreamTimeouts } {
  const parsed = UpstreamEntrySchema.safeParse(entry);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join(".") || "entry"}: ${i.message}`)
      .join("; ");
    throw new BadRequestError(
      `Invalid server '${name}': ${problems}. Give { command, args?, env?, connectTimeoutMs?, requestTimeoutMs? } or { url, type?: "http" | "sse", headers?, connectTimeoutMs?, requestTimeoutMs? }`,
    );
  }
  const value = parsed.data;
  const disabled = value.disabled ?? false;
  const timeouts: UpstreamTimeouts = {
    ...(value.connectTimeoutMs === undefined ? {} : { connectMs: value.connectTimeoutMs }),
    ...(value.requestTimeoutMs === undefined ? {} : { callMs: value.requestTimeoutMs }),
  };
  if ("command" in value) {
    return {
      transport: {
        type: "stdio",
        command: value.command,
        args: value.args,
        env: value.env,
        ...(value.cwd ? { cwd: value.cwd } : {}),
      },
      disabled,
      timeouts,
    };
  }
  return {
    transport: { type: value.type === "sse" ? "sse" : "http", url: value.url, headers: value.headers },
    disabled,
    timeouts,
  };
}

/** A stored server config (core's `McpServerConfig`) as a bridge transport. */
export function transportOfStored(config: McpServerConfig): UpstreamTransport {
  if (config.transport === "stdio") {
    return {
      type: "stdio",
      command: config.command,
      args: config.args,
      env: config.env,
      ...(config.cwd ? { cwd: config.cwd } : {}),
    };
  }
  return { type: config.transport, url: config.url, headers: config.headers };
}

/** A bridge transport (and the server's own timeouts) as core's stored server config. */
export function storedConfigOf(
  name: string,
  transport: UpstreamTransport,
  timeouts: UpstreamTimeouts = {},
): McpServerConfigInput {
  const stored = {
    ...(timeouts.connectMs === undefined ? {} : { connectTimeoutMs: timeouts.connectMs }),
    ...(timeouts.callMs === undefined ? {} : { requestTimeoutMs: timeouts.callMs }),
  };
  const config: McpServerConfigInput =
    transport.type === "stdio"
      ? {
          name,
          transport: "stdio",
          command: transport.command,
          args: transport.args,
          env: transport.env,
          ...(transport.cwd ? { cwd: transport.cwd } : {}),
        }
      : { name, transport: transport.type, url: transport.url, headers: transport.headers };
  return { ...config, ...stored };
}
