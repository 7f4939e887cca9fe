import type { OAuthStoreRepository } from "@waygate/core";
import type { Caller } from "../../http/request-context.js";
import { hasScope } from "../../policy/scopes.js";
import { tokenRejected, type VerifiedToken } from "../access-token.js";
import type { VerifiedKey } from "../authenticate.js";
import { waygateScopesOf } from "../oauth-caller.js";
import type { OAuthOptions } from "../oauth-options.js";
import { supportedScopes } from "../resource-metadata.js";
import { GRANT_CLAIM } from "./provider.js";

/** A key as stored: its policy, and whether it may still be used. */
export interface KeyState extends VerifiedKey {
  usable: boolean;
}

/** Reads `load(id)` at most once per `ttlMs` per id (as core's key cache does), so a revocation shows within it. */
export function cachedLookup<T>(ttlMs: number, load: (id: string) => Promise<T>): (id: string) => Promise<T> {
  const cache = new Map<string, { value: T; until: number }>();
  return async (id) => {
    const now = Date.now();
    const hit = cache.get(id);
    if (hit && hit.until > now) return hit.value;
    const value = await load(id);
    if (cache.size >= 10_000) cache.delete(cache.keys().next().value as string);
    cache.set(id, { value, until: now + ttlMs });
    return value;
  };
}

/** What the built-in server's caller needs. */
export interface BuiltinCallerDeps {
  options: OAuthOptions;
  keyOf(keyId: string): Promise<KeyState | null>;
  store: OAuthStoreRepository;
  cacheMs: number;
}

/**
 * The caller of a token of the built-in authorization server: the API key it was signed in with, as that key stands
 * now (scopes, capability patterns, rate limit, sessions), narrowed to the token's scopes. A revoked or expired key,
 * or a revoked grant, refuses the token (within `cacheMs`).
 */
export function builtinCaller(deps: BuiltinCallerDeps): (token: VerifiedToken) => Promise<Caller> {
  const keyOf = cachedLookup(deps.cacheMs, deps.keyOf);
  const grantLive = cachedLookup(
    deps.cacheMs,
    async (grantId) => (await deps.store.find("Grant", grantId)) !== undefined,
  );
  return async (token) => {
    const key = await keyOf(token.subject);
    if (!key?.usable) {
      throw tokenRejected(
        "key_revoked",
        "the API key it was signed in with has been revoked or has expired; sign in again",
      );
    }
    const grantId = token.claims[GRANT_CLAIM];
    if (typeof grantId !== "string" || !(await grantLive(grantId))) {
      throw tokenRejected("grant_revoked", "its authorization has been revoked; sign in again");
    }
    const tokenScopes = token.scopes.length > 0 ? token.scopes : supportedScopes(deps.options);
    return {
      keyId: key.id,
      keyName: key.name,
      scopes: waygateScopesOf(tokenScopes, deps.options.scopes).filter((scope) =>
        hasScope(key.scopes, scope),
      ),
      toolPatterns: key.toolPatterns ?? null,
      rateLimitPerMinute: key.rateLimitPerMinute ?? null,
      principal: {
        issuer: token.issuer,
        subject: token.subject,
        clientId: token.clientId,
        tokenScopes: token.scopes,
      },
    };
  };
}
