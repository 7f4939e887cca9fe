import { fileURLToPath } from "node:url";

const at = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

/** The built `waygate` CLI: the fault tests run what operators run. */
export const WAYGATE_BIN = at("../../../apps/gateway/dist/bin.js");

/** The byte-level misbehaving MCP server of this suite. */
export const FAULT_UPSTREAM = at("../../../fixtures/fault-upstream.ts");

/** The tsx loader, so Node runs the TypeScript fixtures directly. */
export const TSX_LOADER = import.meta.resolve("tsx");

/** Entry point of the real `@modelcontextprotocol/server-everything`. */
export const SERVER_EVERYTHING = fileURLToPath(
  import.meta.resolve("@modelcontextprotocol/server-everything/dist/index.js"),
);

/** An `mcpServers` entry that runs the fault upstream under this Node with tsx. */
export function faultUpstreamServer(env: Record<string, string> = {}) {
  return { command: process.execPath, args: ["--import", TSX_LOADER, FAULT_UPSTREAM], env };
}

/** An `mcpServers` entry that runs server-everything over stdio under this Node. */
export function everythingServer() {
  return { command: process.execPath, args: [SERVER_EVERYTHING, "stdio"] };
}
