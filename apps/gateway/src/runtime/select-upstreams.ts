import type { GatewayConfig } from "../config/load.js";
import { timeoutsOf, type UpstreamServer } from "../config/server-entry.js";

/** An upstream in the `mcpServers` shape that `createGateway({ upstreams })` accepts. */
export type ClientShapedEntry = Record<string, unknown>;

/** Converts an upstream back to the Claude Desktop / Cursor shape the server takes. */
export function toClientShape(server: UpstreamServer): ClientShapedEntry {
  return server.transport === "stdio"
    ? {
        command: server.command,
        args: server.args,
        env: server.env,
        ...(server.cwd === undefined ? {} : { cwd: server.cwd }),
        ...timeoutsOf(server),
      }
    : { type: server.transport, url: server.url, headers: server.headers, ...timeoutsOf(server) };
}

/** Which upstreams to start: enabled ones, narrowed by `MCP_SERVERS_ENABLED` when it is set. */
export function runtimeUpstreams(
  config: GatewayConfig,
  stored: readonly UpstreamServer[],
): { selected: UpstreamServer[]; unknownNames: string[] } {
  const all = [...config.upstreams, ...stored];
  const wanted = config.serversEnabled;
  const selected = all.filter(
    (server) => server.enabled && (wanted === undefined || wanted.includes(server.name)),
  );
  const unknownNames = (wanted ?? []).filter((name) => !all.some((server) => server.name === name));
  return { selected, unknownNames };
}
