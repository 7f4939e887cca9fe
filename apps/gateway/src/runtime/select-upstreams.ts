import type { GatewayConfig } from "../config/load.js";
import type { UpstreamServer } from "../config/server-entry.js";

/** An upstream in the `mcpServers` shape that `createGateway({ upstreams })` accepts. */
export type ClientShapedEntry = Record<string, unknown>;

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
