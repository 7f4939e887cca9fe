import { McpBridgePlugin } from "@waygate/plugin-sdk/bridge";
import type { HostedPlugin } from "./hosted-plugin.js";
import type { UpstreamTransport } from "./upstream-config.js";

/** Builds the plugin SDK's MCP bridge for one upstream server. */
export function createUpstreamPlugin(
  name: string,
  transport: UpstreamTransport,
  callTimeoutMs: number,
): HostedPlugin {
  return new McpBridgePlugin({
    name,
    transport,
    timeouts: { callMs: callTimeoutMs },
  });
}
