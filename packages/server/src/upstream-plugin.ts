import { McpBridgePlugin } from "@waygate/plugin-sdk/bridge";
import type { HostedPlugin } from "./hosted-plugin.js";
import type { UpstreamTransport } from "./upstream-config.js";
import type { EraMemory } from "./upstream-eras.js";

/**
 * Builds the plugin SDK's MCP bridge for one upstream server. It starts from the era stored for the upstream (no
 * probe while that verdict is fresh), and stores what each connection finds.
 */
export function createUpstreamPlugin(
  name: string,
  transport: UpstreamTransport,
  callTimeoutMs: number,
  eras?: EraMemory,
): HostedPlugin {
  const prior = eras?.prior(name, transport);
  const plugin = new McpBridgePlugin({
    name,
    transport,
    timeouts: { callMs: callTimeoutMs },
    ...(prior ? { protocol: { prior } } : {}),
  });
  if (eras) {
    plugin.onStatusChange((status) => {
      if (status.state === "ready") eras.remember(name, transport, plugin.upstreamEra());
    });
  }
  return plugin;
}
