import type { McpServerConfig, McpServerConfigInput } from "@waygate/core";
import { z } from "zod";
import { BadRequestError } from "../errors/errors.js";

const StdioEntrySchema = z.object({
  type: z.literal("stdio").optional(),
  command: z.string().min(1, "command must not be empty"),
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().optional(),
  disabled: z.boolean().optional(),
});

const RemoteEntrySchema = z.object({
  type: z.enum(["http", "streamable-http", "sse"]).optional(),
  url: z.url("url must be an absolute http(s) URL"),
  headers: z.record(z.string(), z.string()).default({}),
  disabled: z.boolean().optional(),
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
): { transport: UpstreamTransport; disabled: boolean } {
  const parsed = UpstreamEntrySchema.safeParse(entry);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join(".") || "entry"}: ${i.message}`)
      .join("; ");
    throw new BadRequestError(
      `Invalid server '${name}': ${problems}. Give { command, args?, env? } or { url, type?: "http" | "sse", headers? }`,
    );
  }
  const value = parsed.data;
  const disabled = value.disabled ?? false;
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
    };
  }
  return {
    transport: { type: value.type === "sse" ? "sse" : "http", url: value.url, headers: value.headers },
    disabled,
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

/** A bridge transport as core's stored server config. */
export function storedConfigOf(name: string, transport: UpstreamTransport): McpServerConfigInput {
  return transport.type === "stdio"
    ? {
        name,
        transport: "stdio",
        command: transport.command,
        args: transport.args,
        env: transport.env,
        ...(transport.cwd ? { cwd: transport.cwd } : {}),
      }
    : { name, transport: transport.type, url: transport.url, headers: transport.headers };
}
