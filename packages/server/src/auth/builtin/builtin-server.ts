import type { OAuthStoreRepository } from "@waygate/core";
import type Provider from "oidc-provider";
import type { Caller } from "../../http/request-context.js";
import {
  type AccessTokenVerifier,
  loadJose,
  refusalOf,
  type VerifiedToken,
  verified,
} from "../access-token.js";
import type { OAuthOptions } from "../oauth-options.js";
import { builtinCaller, type KeyState } from "./builtin-caller.js";
import { clientMetadataDocuments } from "./client-metadata.js";
import { createBuiltinProvider } from "./provider.js";
import { deriveSigningKey } from "./signing-keys.js";

/** Waygate's own authorization server: the oidc-provider instance, and how its tokens are checked. */
export interface BuiltinAuthorizationServer {
  provider: Provider;
  /** Checks its tokens with its own public key (no HTTP round trip to itself). */
  verifier: AccessTokenVerifier;
  /** The caller of one of its tokens: the API key it was signed in with. */
  callerOf(token: VerifiedToken): Promise<Caller>;
}

/** What the built-in server needs from the gateway. */
export interface BuiltinServerDeps {
  options: OAuthOptions;
  secretKey: string;
  store: OAuthStoreRepository;
  keyOf(keyId: string): Promise<KeyState | null>;
  /** The egress-checked fetch, for Client ID Metadata Documents. */
  fetch?: (url: string, init?: RequestInit) => Promise<Response>;
  /** Told why a client metadata document was refused. */
  onClientRefused?: (clientId: string, reason: string) => void;
  /** The web console as a static public client of the built-in server. */
  consoleClient?: { clientId: string; redirectUri: string };
  /** How long a key's state or a grant's existence is reused, in milliseconds (core's key cache: 1000). */
  cacheMs?: number;
}

/** Creates the built-in authorization server of `options.builtin` (which must be set). */
export async function createBuiltinAuthorizationServer(
  deps: BuiltinServerDeps,
): Promise<BuiltinAuthorizationServer> {
  const { options } = deps;
  const builtin = options.builtin;
  if (!builtin) throw new Error("createBuiltinAuthorizationServer needs oauth.builtin");
  const provider = await createBuiltinProvider({
    options: { ...options, builtin },
    secretKey: deps.secretKey,
    store: deps.store,
    keyUsable: async (id) => (await deps.keyOf(id))?.usable === true,
    ...(deps.consoleClient ? { consoleClient: deps.consoleClient } : {}),
    ...(builtin.clientIdMetadataDocuments && deps.fetch
      ? { clientDocument: clientMetadataDocuments(deps.fetch, deps.onClientRefused) }
      : {}),
  });
  const { createLocalJWKSet, jwtVerify } = await loadJose();
  const keys = createLocalJWKSet({ keys: [deriveSigningKey(deps.secretKey).publicJwk] });
  const verifier: AccessTokenVerifier = {
    async verify(token, audiences) {
      try {
        const { payload } = await jwtVerify(token, keys, {
          issuer: options.issuer,
          audience: [...audiences],
          algorithms: ["ES256"],
          clockTolerance: options.clockSkewSeconds,
          requiredClaims: ["exp", "sub"],
        });
        return verified(payload, options.issuer);
      } catch (error) {
        throw refusalOf(error);
      }
    },
  };
  return {
    provider,
    verifier,
    callerOf: builtinCaller({ options, keyOf: deps.keyOf, store: deps.store, cacheMs: deps.cacheMs ?? 1000 }),
  };
}
