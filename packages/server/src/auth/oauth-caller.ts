import type { Caller } from "../http/request-context.js";
import type { Scope } from "../policy/scopes.js";
import type { VerifiedToken } from "./access-token.js";
import type { ClaimGrant, OAuthOptions } from "./oauth-options.js";

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

/** True when the token's claim equals the value, or is an array that contains it. */
function claimMatches(claims: Record<string, unknown>, grant: ClaimGrant): boolean {
  const value = claims[grant.claim];
  return Array.isArray(value) ? value.includes(grant.value) : value === grant.value;
}

/**
 * Scopes, capability patterns and rate limit of a token: scopes from the scope map and every matching claim grant;
 * patterns combined from the matching grants that set them (any null: all), else `toolPatterns`; the highest rate
 * limit of the matching grants, else `rateLimitPerMinute`.
 */
export function policyOfToken(token: VerifiedToken, options: OAuthOptions) {
  const matching = options.claims.filter((grant) => claimMatches(token.claims, grant));
  const scopes = new Set(waygateScopesOf(token.scopes, options.scopes));
  for (const grant of matching) for (const scope of grant.scopes) scopes.add(scope);
  const withPatterns = matching.filter((grant) => grant.toolPatterns !== undefined);
  const toolPatterns =
    withPatterns.length === 0
      ? options.toolPatterns
      : withPatterns.some((grant) => grant.toolPatterns === null)
        ? null
        : [...new Set(withPatterns.flatMap((grant) => grant.toolPatterns ?? []))];
  const limits = matching.flatMap((grant) => (grant.rateLimitPerMinute ? [grant.rateLimitPerMinute] : []));
  return {
    scopes: [...scopes],
    toolPatterns,
    rateLimitPerMinute: limits.length > 0 ? Math.max(...limits) : options.rateLimitPerMinute,
  };
}

/** The caller a verified token becomes: the same shape an API key produces, so every later policy applies unchanged. */
export function callerOfToken(token: VerifiedToken, options: OAuthOptions): Caller {
  return {
    keyId: oauthKeyId(token.subject, token.clientId),
    keyName: `oauth ${token.clientId ?? "client"} for ${token.subject}`,
    ...policyOfToken(token, options),
    principal: {
      issuer: token.issuer,
      subject: token.subject,
      clientId: token.clientId,
      tokenScopes: token.scopes,
    },
  };
}
