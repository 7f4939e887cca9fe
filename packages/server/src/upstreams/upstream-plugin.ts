import type { OAuthClientProvider } from "@modelcontextprotocol/client";
import { McpBridgePlugin } from "@waygate/plugin-sdk/bridge";
import type { UpstreamEgress } from "./egress.js";
import type { EraMemory } from "./eras.js";
import type { GatewayIdentity } from "./gateway-identity.js";
import type { HostedPlugin } from "./hosted-plugin.js";
import type { UpstreamTimeouts, UpstreamTransport } from "./upstream-config.js";
import { withGlobalResponses } from "./upstream-oauth.js";
import type { UserUpstreams } from "./user-tokens/user-upstreams.js";

/** What every upstream bridge of one gateway shares. */
export interface UpstreamHost {
  /** The gateway-wide deadline of a forwarded request; read per request, so a changed setting applies at once. */
  callTimeoutMs: number;
  egress: UpstreamEgress;
  /** Refuses an upstream that is this gateway, or a Waygate nested too deep. */
  identity: GatewayIdentity;
  /** The era each upstream was last found to speak; a bridge starts from it, and stores what it finds. */
  eras?: EraMemory;
  /** Gets the OAuth tokens of an upstream that requires them (`upstreamOAuth`); undefined for the others. */
  authProviderFor?: (name: string) => OAuthClientProvider | undefined;
  /** The upstreams reached with each principal's own token (`upstreamOAuth.<name>.authorizationCode`). */
  userUpstreams?: UserUpstreams;
}

/**
 * Builds the plugin SDK's MCP bridge for one upstream server; http/sse ones reach only what egress allows. It starts
 * from the era stored for the upstream (no probe while that verdict is fresh), and stores what each connection finds.
 */
export function createUpstreamPlugin(
  name: string,
  transport: UpstreamTransport,
  host: UpstreamHost,
  timeouts: UpstreamTimeouts = {},
): HostedPlugin {
  const users = host.userUpstreams;
  if (transport.type !== "stdio" && users?.has(name)) {
    // One bridge per principal, each with that principal's token provider.
    return users.create(name, transport.url, (provider) =>
      bridgeOf(name, transport, host, timeouts, provider),
    );
  }
  const authProvider = transport.type === "stdio" ? undefined : host.authProviderFor?.(name);
  return bridgeOf(name, transport, host, timeouts, authProvider);
}

function bridgeOf(
  name: string,
  transport: UpstreamTransport,
  host: UpstreamHost,
  timeouts: UpstreamTimeouts,
  authProvider: OAuthClientProvider | undefined,
): HostedPlugin {
  const prior = host.eras?.prior(name, transport);
  const plugin = new McpBridgePlugin(
    {
      name,
      transport,
      timeouts: {
        callMs: timeouts.callMs ?? host.callTimeoutMs,
        ...(timeouts.connectMs === undefined ? {} : { connectMs: timeouts.connectMs }),
      },
      ...(prior ? { protocol: { prior } } : {}),
    },
    {
      fetch: authProvider ? withGlobalResponses(host.egress.fetch) : host.egress.fetch,
      acceptServer: (info) => host.identity.acceptServer(name, info),
      ...(authProvider ? { authProvider } : {}),
      // Without a deadline of its own, the server follows the gateway's (`upstream.requestTimeoutMs`) as it changes.
      ...(timeouts.callMs === undefined ? { callTimeoutMs: () => host.callTimeoutMs } : {}),
    },
  );
  const eras = host.eras;
  if (eras) {
    plugin.onStatusChange((status) => {
      if (status.state === "ready") eras.remember(name, transport, plugin.upstreamEra());
    });
  }
  return plugin;
}
