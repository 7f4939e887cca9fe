import { randomUUID } from "node:crypto";
import type { UpstreamServerInfo } from "@waygate/plugin-sdk/bridge";

// `serverInfo.description` is the one free-text field every client keeps (unknown fields are dropped by the SDKs).
const MARK = /\bWaygate gateway instance ([0-9a-f-]{36}), aggregation depth (\d+)\b/;

/** What this gateway says about itself, and the check that keeps it from aggregating itself or nesting deeper. */
export interface GatewayIdentity {
  readonly instanceId: string;
  /** The `serverInfo` both MCP endpoints announce; its description carries the instance id and the depth. */
  readonly serverInfo: { name: string; version: string; description: string };
  /** A reason to refuse the upstream `server` found at its address, or undefined; records a Waygate's depth. */
  acceptServer(server: string, info: UpstreamServerInfo): string | undefined;
}

/** Reads the instance id and aggregation depth a Waygate puts in its serverInfo; undefined for other servers. */
export function readGatewayMark(info: UpstreamServerInfo): { instanceId: string; depth: number } | undefined {
  const match = MARK.exec(info.description ?? "");
  return match?.[1] && match[2] ? { instanceId: match[1], depth: Number(match[2]) } : undefined;
}

/**
 * Creates this gateway's identity: a random instance id per gateway, and its aggregation depth (0 with no Waygate
 * upstream, else one more than the deepest Waygate upstream), kept current in `serverInfo` as upstreams connect.
 */
export function createGatewayIdentity(options: {
  name: string;
  version: string;
  maxAggregationDepth: number;
}): GatewayIdentity {
  const instanceId = randomUUID();
  const depths = new Map<string, number>();
  const describe = (depth: number) => `Waygate gateway instance ${instanceId}, aggregation depth ${depth}`;
  const serverInfo = { name: options.name, version: options.version, description: describe(0) };
  return {
    instanceId,
    serverInfo,
    acceptServer(server, info) {
      const mark = readGatewayMark(info);
      if (!mark) return undefined;
      if (mark.instanceId === instanceId) {
        return "its serverInfo carries this gateway's own instance id: the URL points back at this gateway, which would aggregate itself without end. Point the server at another MCP server";
      }
      if (mark.depth >= options.maxAggregationDepth) {
        return `it is another Waygate that already aggregates at depth ${mark.depth}; gateways may nest only ${options.maxAggregationDepth} deep (option maxAggregationDepth)`;
      }
      depths.set(server, mark.depth + 1);
      serverInfo.description = describe(Math.max(0, ...depths.values()));
      return undefined;
    },
  };
}
