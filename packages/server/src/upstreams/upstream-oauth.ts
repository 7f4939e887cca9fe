import { ClientCredentialsProvider, type OAuthClientProvider } from "@modelcontextprotocol/client";
import type { UpstreamOAuth } from "./upstream-oauth-options.js";

/** The SDK's token provider for an upstream's OAuth settings. */
export function upstreamAuthProvider(settings: UpstreamOAuth): OAuthClientProvider {
  const { clientId, clientSecret, scope, issuer } = settings.clientCredentials;
  return new ClientCredentialsProvider({
    clientId,
    clientSecret,
    clientName: "waygate",
    ...(scope ? { scope } : {}),
    ...(issuer ? { expectedIssuer: issuer } : {}),
  });
}
