import type { OAuthStoreRepository } from "@waygate/core";
import type Provider from "oidc-provider";
import type { Configuration, KoaContextWithOIDC } from "oidc-provider";
import type { OAuthOptions } from "../oauth-options.js";
import { BUILTIN_ISSUER_PATH } from "../oauth-options.js";
import { resourceOf, supportedScopes } from "../resource-metadata.js";
import { deriveCookieKeys, deriveSigningKey } from "./signing-keys.js";
import { storeAdapter } from "./store-adapter.js";

/** The client id of the web console at the built-in server (a static public client, never a registered one). */
export const CONSOLE_CLIENT_ID = "waygate-console";

/** The claim of a built-in token naming its grant, so a revoked grant stops its access tokens too. */
export const GRANT_CLAIM = "gid";

/** What the provider needs from the gateway. */
export interface BuiltinProviderDeps {
  options: OAuthOptions & { builtin: NonNullable<OAuthOptions["builtin"]> };
  secretKey: string;
  store: OAuthStoreRepository;
  /** True when the API key with this id may still be used (not revoked, not expired). */
  keyUsable(keyId: string): Promise<boolean>;
  /** Reads a Client ID Metadata Document (through the egress policy); unset turns them off. */
  clientDocument?: (clientId: string) => Promise<Record<string, unknown> | undefined>;
  /** The web console as a static public client (code + PKCE only, its one redirect URI), when the console is on. */
  consoleClient?: { clientId: string; redirectUri: string };
}

/**
 * True when `resource` (RFC 8707) is one of this gateway's resources: `<publicUrl>/`, `/mcp`, `/sse` or
 * `/servers/<name>/mcp`. A token is never minted for another audience.
 */
export function isGatewayResource(publicUrl: string, resource: string): boolean {
  let url: URL;
  try {
    url = new URL(resource);
  } catch {
    return false;
  }
  if (url.origin !== new URL(publicUrl).origin || url.search || url.hash) return false;
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;
  return resourceOf(publicUrl, path).pathname === (path === "" ? "/" : path);
}

/** A plain-text error page: no inline script or style, so the gateway's CSP holds on it. */
function renderError(ctx: KoaContextWithOIDC, out: object): void {
  ctx.type = "text/plain; charset=utf-8";
  ctx.body = `Sign-in failed.\n\n${Object.entries(out)
    .map(([key, value]) => `${key}: ${String(value)}`)
    .join("\n")}\n`;
}

/** The oidc-provider configuration of the built-in authorization server. */
export async function createBuiltinProvider(deps: BuiltinProviderDeps): Promise<Provider> {
  // Loaded only when the built-in server is configured: deployments with an external issuer never import it.
  const { default: ProviderClass, interactionPolicy, errors } = await import("oidc-provider");
  const { options } = deps;
  const settings = options.builtin;
  const tokenScopes = supportedScopes(options);
  const rootResource = new URL(options.publicUrl).href;

  const policy = interactionPolicy.base();
  // Every authorization asks for an API key again: a browser session alone never authorises a new client.
  policy.get("login")?.checks.add(
    new interactionPolicy.Check(
      "waygate_sign_in",
      "each authorization is signed with a Waygate API key",
      // Asked on every authorization; satisfied only by the sign-in that this request's interaction just finished.
      (ctx) => !(ctx.oidc.route.endsWith("resume") && ctx.oidc.result?.login),
    ),
  );

  const configuration: Configuration = {
    adapter: storeAdapter(deps.store, deps.clientDocument),
    ...(deps.consoleClient
      ? {
          clients: [
            {
              client_id: deps.consoleClient.clientId,
              client_name: "Waygate console",
              redirect_uris: [deps.consoleClient.redirectUri],
              grant_types: ["authorization_code"],
              response_types: ["code"],
              token_endpoint_auth_method: "none",
            },
          ],
        }
      : {}),
    // Advertised so that MCP clients with a metadata document URL use it as their client id instead of registering.
    discovery: { client_id_metadata_document_supported: deps.clientDocument !== undefined },
    jwks: { keys: [deriveSigningKey(deps.secretKey).privateJwk as never] },
    cookies: {
      keys: deriveCookieKeys(deps.secretKey),
      long: { signed: true, httpOnly: true, sameSite: "lax" },
      short: { signed: true, httpOnly: true, sameSite: "lax" },
    },
    async findAccount(_ctx, id) {
      // A revoked or expired key signs nothing more in: refresh fails with invalid_grant.
      if (!(await deps.keyUsable(id))) return undefined;
      return { accountId: id, claims: () => ({ sub: id }) };
    },
    claims: { openid: ["sub"] },
    // Clients register with the token scopes (from the protected resource metadata), so the provider must know them.
    scopes: ["openid", "offline_access", ...tokenScopes],
    clientDefaults: {
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      id_token_signed_response_alg: "ES256",
    },
    enabledJWA: { idTokenSigningAlgValues: ["ES256"] },
    pkce: { methods: ["S256"], required: () => true },
    responseTypes: ["code"],
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token"),
    extraTokenClaims: async (_ctx, token) =>
      "grantId" in token && token.grantId ? { [GRANT_CLAIM]: token.grantId } : undefined,
    ttl: {
      AccessToken: settings.accessTokenTtlSeconds,
      AuthorizationCode: 60,
      RefreshToken: settings.refreshTokenTtlSeconds,
      Grant: settings.refreshTokenTtlSeconds,
      Interaction: settings.signInTtlSeconds,
      Session: settings.signInTtlSeconds,
      IdToken: settings.accessTokenTtlSeconds,
    },
    interactions: {
      url: (_ctx, interaction) => `${BUILTIN_ISSUER_PATH}/interaction/${interaction.uid}`,
      policy,
    },
    renderError: async (ctx, out) => renderError(ctx, out),
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: settings.dynamicRegistration, initialAccessToken: false },
      revocation: { enabled: true },
      userinfo: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      resourceIndicators: {
        enabled: true,
        // Clients that send no `resource` get a token for the whole gateway (accepted on every endpoint).
        defaultResource: () => rootResource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (!isGatewayResource(options.publicUrl, resource)) {
            throw new errors.InvalidTarget(`${resource} is not a resource of this gateway`);
          }
          return {
            scope: tokenScopes.join(" "),
            audience: resource,
            accessTokenTTL: settings.accessTokenTtlSeconds,
            accessTokenFormat: "jwt",
            jwt: { sign: { alg: "ES256" } },
          };
        },
      },
    },
  };
  const provider = new ProviderClass(options.issuer, configuration);
  // Requests reach it with the public URL's host and scheme (set by the mount), never the client's Host header.
  provider.proxy = true;
  return provider;
}
