import { McpBridgePlugin } from "@waygate/plugin-sdk/bridge";
import type { HostedPlugin } from "./hosted-plugin.js";
import type { UpstreamTransport } from "./upstream-config.js";
import type { UpstreamEgress } from "./upstreams/egress.js";
import type { GatewayIdentity } from "./upstreams/gateway-identity.js";

/** What every upstream bridge of one gateway shares. */
export interface UpstreamHost {
  callTimeoutMs: number;
  egress: UpstreamEgress;
  /** Refuses an upstream that is this gateway, or a Waygate nested too deep. */
  identity: GatewayIdentity;
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
    { fetch: host.egress.fetch, acceptServer: (info) => host.identity.acceptServer(name, info) },
  );
}
