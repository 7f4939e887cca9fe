import type { Caller } from "../request-context.js";
import type { Scope } from "../scopes.js";
import type { VerifiedToken } from "./access-token.js";
import type { OAuthOptions } from "./oauth-options.js";

/** Prefix of an OAuth caller's `keyId`: it owns sessions and rate-limit budgets like a key, but names no key row. */
export const OAUTH_CALLER_PREFIX = "oauth:";

/**
 * The `keyId` of an OAuth caller, `oauth:<subject>@<client id>` (each part URI-encoded): sessions, rate limits and
 * logs key on it, and the audit store reads the subject and client back from it (`principalOfKeyId`).
 */
export function oauthKeyId(subject: string, clientId: string | null): string {
  return `${OAUTH_CALLER_PREFIX}${encodeURIComponent(subject)}@${encodeURIComponent(clientId ?? "")}`;
}

/** The subject and client id an OAuth caller's `keyId` names, or null for an API key's id. */
export function principalOfKeyId(keyId: string | null): { subject: string; clientId: string | null } | null {
  if (!keyId?.startsWith(OAUTH_CALLER_PREFIX)) return null;
  const [subject = "", clientId = ""] = keyId.slice(OAUTH_CALLER_PREFIX.length).split("@");
  return { subject: decodeURIComponent(subject), clientId: clientId ? decodeURIComponent(clientId) : null };
}

/** Waygate scopes granted by a token's scopes through the configured map; unknown token scopes grant nothing. */
export function waygateScopesOf(tokenScopes: readonly string[], scopeMap: OAuthOptions["scopes"]): Scope[] {
  const granted = new Set<Scope>();
  for (const scope of tokenScopes) for (const mapped of scopeMap[scope] ?? []) granted.add(mapped);
  return [...granted];
}

/** Token scopes that would grant `scope`, for a step-up challenge. */
export function tokenScopesGranting(scope: Scope, scopeMap: OAuthOptions["scopes"]): string[] {
  return Object.entries(scopeMap)
    .filter(([, mapped]) => mapped.includes(scope) || mapped.includes("admin"))
    .sort(([, a], [, b]) => a.length - b.length)
    .map(([tokenScope]) => tokenScope);
}

/** The caller a verified token becomes: the same shape an API key produces, so every later policy applies unchanged. */
export function callerOfToken(token: VerifiedToken, options: OAuthOptions): Caller {
  return {
    keyId: oauthKeyId(token.subject, token.clientId),
    keyName: `oauth ${token.clientId ?? "client"} for ${token.subject}`,
    scopes: waygateScopesOf(token.scopes, options.scopes),
    toolPatterns: options.toolPatterns,
    rateLimitPerMinute: options.rateLimitPerMinute,
    principal: {
      issuer: token.issuer,
      subject: token.subject,
      clientId: token.clientId,
      tokenScopes: token.scopes,
    },
  };
}
