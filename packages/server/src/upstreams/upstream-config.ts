import {
  declarationOfEntry,
  type McpServerDeclaration,
  type McpServerEntry,
  McpServerEntrySchema,
} from "@waygate/core/server-config";
import { BadRequestError } from "../errors/errors.js";

/** One entry of an `mcpServers` object, as Claude Desktop, Cursor and VS Code write it: core's one schema. */
export const UpstreamEntrySchema = McpServerEntrySchema;
/** A validated `mcpServers` entry. */
export type UpstreamEntry = McpServerEntry;

/** The bridge transport an entry describes. */
export type UpstreamTransport =
  | { type: "stdio"; command: string; args: string[]; env: Record<string, string>; cwd?: string }
  | { type: "http" | "sse"; url: string; headers: Record<string, string> };

/** One server's own deadlines (stored or configured); unset ones fall back to the gateway's. */
export interface UpstreamTimeouts {
  /** Connecting: spawn or reach the server and initialize it. */
  connectMs?: number;
  /** One request forwarded to the server. */
  callMs?: number;
}

/** Validates an `mcpServers` entry into the server it declares (core's shape); errors name the server and field. */
export function declareUpstream(name: string, entry: unknown): McpServerDeclaration {
  const parsed = UpstreamEntrySchema.safeParse(entry);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join(".") || "entry"}: ${i.message}`)
      .join("; ");
    throw new BadRequestError(
      `Invalid server '${name}': ${problems}. Give { command, args?, env?, connectTimeoutMs?, requestTimeoutMs? } or { url, type?: "http" | "sse", headers?, connectTimeoutMs?, requestTimeoutMs? }`,
    );
  }
  return declarationOfEntry(name, parsed.data);
}

/** Validates an `mcpServers` entry and turns it into a bridge transport; errors name the server and field. */
export function parseUpstreamEntry(
  name: string,
  entry: unknown,
): { transport: UpstreamTransport; disabled: boolean; timeouts: UpstreamTimeouts } {
  const declared = declareUpstream(name, entry);
  const timeouts: UpstreamTimeouts = {
    ...(declared.connectTimeoutMs === undefined ? {} : { connectMs: declared.connectTimeoutMs }),
    ...(declared.requestTimeoutMs === undefined ? {} : { callMs: declared.requestTimeoutMs }),
  };
  return { transport: transportOf(declared), disabled: !declared.enabled, timeouts };
}

/** A declared or stored server config (core's shape) as a bridge transport. */
export function transportOf(config: McpServerDeclaration): UpstreamTransport {
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
