import { ClientCredentialsProvider, type OAuthClientProvider } from "@modelcontextprotocol/client";
import type { UpstreamOAuth } from "./upstream-oauth-options.js";

/** The SDK's token provider for an upstream's OAuth settings. */
export function upstreamAuthProvider(settings: UpstreamOAuth): OAuthClientProvider | undefined {
  if (!settings.clientCredentials) return undefined;
  const { clientId, clientSecret, scope, issuer } = settings.clientCredentials;
  return new ClientCredentialsProvider({
    clientId,
    clientSecret,
    clientName: "waygate",
    ...(scope ? { scope } : {}),
    ...(issuer ? { expectedIssuer: issuer } : {}),
  });
}

type Fetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

/**
 * The egress fetch answers with undici's own `Response` class, which the MCP SDK's OAuth error parsing does not
 * recognise (`instanceof Response` is false), so an authorization server's error (`invalid_client`) would be reported
 * as "[object Response]". Rewrapped in the global class, the reason reaches the upstream's status.
 */
export function withGlobalResponses(fetch: Fetch): Fetch {
  return async (url, init) => {
    const response: Response = await fetch(url, init);
    if (response instanceof Response) return response;
    const foreign = response as Response;
    return new Response(foreign.body, {
      status: foreign.status,
      statusText: foreign.statusText,
      headers: foreign.headers,
    });
  };
}
