import type winston from "winston";
import type { GatewayOptions } from "../options.js";
import type { RuntimeSettings } from "../runtime-settings.js";
import type { Store } from "../store.js";
import { createUpstreamEgress, type UpstreamEgress } from "./egress.js";
import { createEraMemory } from "./eras.js";
import { createGatewayIdentity, type GatewayIdentity } from "./gateway-identity.js";
import { upstreamAuthProvider, withGlobalResponses } from "./upstream-oauth.js";
import type { UpstreamHost } from "./upstream-plugin.js";
import { createUserUpstreams } from "./user-tokens/user-upstreams.js";

/**
 * What every upstream of one gateway shares: the call timeout (a runtime setting), the egress policy, this
 * gateway's identity (to refuse itself), the eras upstreams were last found to speak, and each one's OAuth client.
 */
export async function createUpstreamHost(deps: {
  options: GatewayOptions;
  store: Store;
  settings: RuntimeSettings;
  logger: winston.Logger;
}): Promise<{ host: UpstreamHost; egress: UpstreamEgress; identity: GatewayIdentity }> {
  const { options, store, settings, logger } = deps;
  // Upstreams start from the era they were last found to speak; an unreadable store only costs a probe each.
  const eras = createEraMemory(
    await store.repos.upstreamEras.list().catch((error: unknown) => {
      logger.warn("could not read the stored upstream protocol eras; every upstream is probed", {
        error: (error as Error).message,
      });
      return [];
    }),
    store.repos.upstreamEras,
    { horizonMs: options.upstreamEraHorizonMs, logger },
  );
  const identity = createGatewayIdentity({
    ...options.serverInfo,
    maxAggregationDepth: options.maxAggregationDepth,
  });
  const egress = createUpstreamEgress(options.egress);
  const userUpstreams = createUserUpstreams({
    settings: Object.fromEntries(
      Object.entries(options.upstreamOAuth).flatMap(([name, oauth]) =>
        oauth.authorizationCode ? [[name, oauth.authorizationCode]] : [],
      ),
    ),
    defaultPublicUrl: options.oauth?.publicUrl,
    tokens: store.repos.upstreamUserTokens,
    fetch: withGlobalResponses(egress.fetch),
  });
  const host: UpstreamHost = {
    get callTimeoutMs() {
      return settings.get("upstream.requestTimeoutMs");
    },
    egress,
    identity,
    eras,
    authProviderFor: (name) => {
      const oauth = options.upstreamOAuth[name];
      return oauth ? upstreamAuthProvider(oauth) : undefined;
    },
    userUpstreams,
  };
  return { host, egress, identity };
}
