import { McpBridgePlugin } from "@waygate/plugin-sdk/bridge";
import type { HostedPlugin } from "./hosted-plugin.js";
import type { UpstreamTransport } from "./upstream-config.js";
import type { UpstreamEgress } from "./upstreams/egress.js";

/** What every upstream bridge of one gateway shares. */
export interface UpstreamHost {
  callTimeoutMs: number;
  egress: UpstreamEgress;
}

/** Builds the plugin SDK's MCP bridge for one upstream server; http/sse ones reach only what egress allows. */
export function createUpstreamPlugin(
  name: string,
  transport: UpstreamTransport,
  host: UpstreamHost,
): HostedPlugin {
  return new McpBridgePlugin(
    {
      name,
      transport,
      timeouts: { callMs: host.callTimeoutMs },
    },
    { fetch: host.egress.fetch },
  );
}
