import { randomUUID } from "node:crypto";
import type { UpstreamServerInfo } from "@waygate/plugin-sdk/bridge";

// `serverInfo.description` is the one free-text field every client keeps (unknown fields are dropped by the SDKs).
const MARK =
  /\bWaygate gateway instance ([0-9a-f-]{36}), aggregation depth (\d+)(?:, aggregating ([0-9a-f -]+))?/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** How many aggregated instance ids a gateway announces; beyond that a loop is still bounded by the depth. */
const MAX_ANNOUNCED = 32;

/** What this gateway says about itself, and the check that keeps it from aggregating itself or nesting deeper. */
export interface GatewayIdentity {
  readonly instanceId: string;
  /** The `serverInfo` both MCP endpoints announce; its description carries the instance id and the depth. */
  readonly serverInfo: { name: string; version: string; description: string };
  /** A reason to refuse the upstream `server` found at its address, or undefined; records a Waygate's depth. */
  acceptServer(server: string, info: UpstreamServerInfo): string | undefined;
}

/** What a Waygate says about itself in its serverInfo. */
export interface GatewayMark {
  instanceId: string;
  depth: number;
  /** Instance ids of the Waygates it aggregates, directly or further down. */
  aggregates: string[];
}

/** Reads the instance id, aggregation depth and aggregated instances a Waygate puts in its serverInfo. */
export function readGatewayMark(info: UpstreamServerInfo): GatewayMark | undefined {
  const match = MARK.exec(info.description ?? "");
  if (!match?.[1] || !match[2]) return undefined;
  const aggregates = (match[3] ?? "").split(" ").filter((id) => UUID.test(id));
  return { instanceId: match[1], depth: Number(match[2]), aggregates };
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
  const below = new Map<string, { depth: number; ids: string[] }>();
  const describe = () => {
    const depth = Math.max(0, ...[...below.values()].map((b) => b.depth));
    const ids = [...new Set([...below.values()].flatMap((b) => b.ids))].slice(0, MAX_ANNOUNCED);
    const base = `Waygate gateway instance ${instanceId}, aggregation depth ${depth}`;
    return ids.length === 0 ? base : `${base}, aggregating ${ids.join(" ")}`;
  };
  const serverInfo = { name: options.name, version: options.version, description: describe() };
  return {
    instanceId,
    serverInfo,
    acceptServer(server, info) {
      const mark = readGatewayMark(info);
      if (!mark) return undefined;
      if (mark.instanceId === instanceId) {
        return "its serverInfo carries this gateway's own instance id: the URL points back at this gateway, which would aggregate itself without end. Point the server at another MCP server";
      }
      if (mark.aggregates.includes(instanceId)) {
        return "it is another Waygate that already aggregates this gateway: the two would aggregate each other in a loop. Remove one of the two links";
      }
      if (mark.depth >= options.maxAggregationDepth) {
        return `it is another Waygate that already aggregates at depth ${mark.depth}; gateways may nest only ${options.maxAggregationDepth} deep (option maxAggregationDepth)`;
      }
      below.set(server, { depth: mark.depth + 1, ids: [mark.instanceId, ...mark.aggregates] });
      serverInfo.description = describe();
      return undefined;
    },
  };
}
