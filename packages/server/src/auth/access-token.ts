import type { createRemoteJWKSet, JWTPayload } from "jose";
import { AuthError, GatewayError } from "../errors/errors.js";
import { createIntrospectionCache } from "./introspection-cache.js";
import { discoverIssuer, type IssuerMetadata, issuerUnavailable } from "./issuer-metadata.js";
import type { OAuthOptions } from "./oauth-options.js";

/** Why a token was refused; the `reason` label of `waygate_auth_failures_total` and of the audit row. */
export type TokenRejection =
  | "malformed"
  | "expired"
  | "not_yet_valid"
  | "wrong_audience"
  | "wrong_issuer"
  | "bad_signature"
  | "unknown_key"
  | "alg_not_allowed"
  | "no_subject"
  | "inactive"
  | "key_revoked"
  | "grant_revoked";

/** A token the issuer vouches for, reduced to what the gateway uses. */
export interface VerifiedToken {
  issuer: string;
  subject: string;
  /** `client_id` (RFC 9068, introspection), else `azp` (OpenID Connect, Keycloak, Entra v2) or `appid` (Entra v1). */
  clientId: string | null;
  scopes: string[];
  /** Every claim of the token (or of the introspection answer), for grants by claim. */
  claims: Record<string, unknown>;
}

/** Checks one access token for the audiences of the endpoint it was presented on. */
export interface AccessTokenVerifier {
  verify(token: string, audiences: readonly string[]): Promise<VerifiedToken>;
}

/** The 401 error of a refused token, with the reason in its details. */
export function tokenRejected(reason: TokenRejection, message: string): AuthError {
  return new AuthError(`Access token refused: ${message}`, { reason, oauth: "invalid_token" });
}

/** Token scopes from `scope` (RFC 9068, space-separated) or `scp` (Entra ID, Okta: a string or an array). */
export function scopesOf(claims: Record<string, unknown>): string[] {
  const raw = claims.scope ?? claims.scp;
  if (typeof raw === "string") return raw.split(" ").filter(Boolean);
  if (Array.isArray(raw)) return raw.filter((s): s is string => typeof s === "string");
  return [];
}

function clientIdOf(claims: Record<string, unknown>): string | null {
  const id = [claims.client_id, claims.azp, claims.appid].find((value) => typeof value === "string");
  return (id as string | undefined) ?? null;
}

/** The parts of verified claims the gateway uses. */
export function verified(claims: JWTPayload | Record<string, unknown>, issuer: string): VerifiedToken {
  const clientId = clientIdOf(claims);
  // A client-credentials token acts for the client itself; introspection answers for one often omit `sub`.
  const subject = typeof claims.sub === "string" && claims.sub !== "" ? claims.sub : clientId;
  if (!subject) throw tokenRejected("no_subject", "the token names no subject (sub) and no client");
  return { issuer, subject, clientId, scopes: scopesOf(claims), claims };
}

/** jose, loaded on the first token to verify: a gateway without OAuth never pays for it (about 3 MB resident). */
export function loadJose(): Promise<typeof import("jose")> {
  return import("jose");
}

/**
 * Maps jose's errors to a refusal; anything else (the JWKS could not be fetched) means the issuer is unavailable.
 * jose's errors are told apart by their stable `code`, so this needs no jose loaded.
 */
export function refusalOf(error: unknown): Error {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ERR_JWT_EXPIRED") return tokenRejected("expired", "it has expired");
  if (code === "ERR_JWT_CLAIM_VALIDATION_FAILED") {
    const claim = (error as { claim?: string }).claim;
    if (claim === "nbf" || claim === "iat") return tokenRejected("not_yet_valid", "it is not valid yet");
    if (claim === "aud")
      return tokenRejected("wrong_audience", "its audience is not this endpoint of the gateway");
    if (claim === "iss") return tokenRejected("wrong_issuer", "it was issued by another issuer");
    return tokenRejected("malformed", `its '${claim}' claim is invalid`);
  }
  if (code === "ERR_JOSE_ALG_NOT_ALLOWED" || code === "ERR_JOSE_NOT_SUPPORTED") {
    return tokenRejected("alg_not_allowed", "its signature algorithm is not accepted");
  }
  if (code === "ERR_JWKS_NO_MATCHING_KEY" || code === "ERR_JWKS_MULTIPLE_MATCHING_KEYS") {
    return tokenRejected("unknown_key", "no key of the issuer matches its signature key (kid)");
  }
  if (code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED") {
    return tokenRejected("bad_signature", "its signature does not verify");
  }
  if (code === "ERR_JWS_INVALID" || code === "ERR_JWT_INVALID") {
    return tokenRejected("malformed", "it is not a well-formed JWT");
  }
  if (error instanceof AuthError || GatewayError.isInstance(error)) return error;
  return issuerUnavailable(
    `The OAuth issuer's keys could not be fetched: ${(error as Error).message ?? String(error)}`,
    error,
  );
}

/** Reads the issuer's metadata once, on first use, and again after a failure. */
function lazyMetadata(options: OAuthOptions): () => Promise<IssuerMetadata> {
  let pending: Promise<IssuerMetadata> | undefined;
  return () => {
    pending ??= discoverIssuer(options.issuer, options.issuerTimeoutMs).catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

/** Verifies JWT access tokens against the issuer's JWKS (rotation: an unknown `kid` refetches the set). */
export function jwtVerifier(options: OAuthOptions): AccessTokenVerifier {
  const metadata = lazyMetadata(options);
  let keys: ReturnType<typeof createRemoteJWKSet> | undefined;
  const keySet = async () => {
    if (keys) return keys;
    const uri = options.jwksUri ?? (await metadata()).jwks_uri;
    if (!uri)
      throw issuerUnavailable(`The OAuth issuer ${options.issuer} publishes no jwks_uri; set oauth.jwksUri`);
    const { createRemoteJWKSet } = await loadJose();
    keys = createRemoteJWKSet(new URL(uri), {
      cooldownDuration: options.jwksCooldownMs,
      timeoutDuration: options.issuerTimeoutMs,
    });
    return keys;
  };
  return {
    async verify(token, audiences) {
      const jwks = await keySet();
      const { jwtVerify } = await loadJose();
      try {
        const { payload } = await jwtVerify(token, jwks, {
          issuer: options.issuer,
          audience: [...audiences],
          algorithms: options.algorithms,
          clockTolerance: options.clockSkewSeconds,
          requiredClaims: ["exp"],
        });
        return verified(payload, options.issuer);
      } catch (error) {
        throw refusalOf(error);
      }
    },
  };
}

/** Checks tokens by RFC 7662 introspection at the issuer, authenticating with the gateway's client credentials. */
export function introspectionVerifier(options: OAuthOptions): AccessTokenVerifier {
  const settings = options.introspection;
  if (!settings) throw new Error("introspectionVerifier needs oauth.introspection");
  const metadata = lazyMetadata(options);
  // RFC 6749 §2.3.1: the id and secret are form-encoded before they are joined for Basic authentication.
  const basic = Buffer.from(
    `${encodeURIComponent(settings.clientId)}:${encodeURIComponent(settings.clientSecret)}`,
  ).toString("base64");
  const cache =
    settings.cache.maxEntries > 0 && (settings.cache.ttlSeconds > 0 || settings.cache.negativeTtlSeconds > 0)
      ? createIntrospectionCache(settings.cache)
      : undefined;
  return {
    async verify(token, audiences) {
      const kept = cache?.get(token);
      if (kept) return checkIntrospected(kept.active ? kept.claims : { active: false }, audiences, options);
      const endpoint = settings.endpoint ?? (await metadata()).introspection_endpoint;
      if (!endpoint) {
        throw issuerUnavailable(
          `The OAuth issuer ${options.issuer} publishes no introspection_endpoint; set oauth.introspection.endpoint`,
        );
      }
      let claims: Record<string, unknown>;
      try {
        const response = await fetch(endpoint, {
          method: "POST",
          headers: {
            authorization: `Basic ${basic}`,
            "content-type": "application/x-www-form-urlencoded",
            accept: "application/json",
          },
          body: new URLSearchParams({ token, token_type_hint: "access_token" }),
          redirect: "error",
          signal: AbortSignal.timeout(options.issuerTimeoutMs),
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        claims = (await response.json()) as Record<string, unknown>;
      } catch (error) {
        throw issuerUnavailable(
          `Token introspection at ${endpoint} failed: ${(error as Error).message}`,
          error,
        );
      }
      cache?.set(token, claims);
      return checkIntrospected(claims, audiences, options);
    },
  };
}

/** The checks a JWT gets, applied to an introspection answer (RFC 7662 §2.2). */
function checkIntrospected(
  claims: Record<string, unknown>,
  audiences: readonly string[],
  options: OAuthOptions,
): VerifiedToken {
  if (claims.active !== true) throw tokenRejected("inactive", "the issuer reports it inactive");
  const now = Date.now() / 1000;
  const skew = options.clockSkewSeconds;
  if (typeof claims.exp === "number" && claims.exp + skew <= now) {
    throw tokenRejected("expired", "it has expired");
  }
  if (typeof claims.nbf === "number" && claims.nbf - skew > now) {
    throw tokenRejected("not_yet_valid", "it is not valid yet");
  }
  if (claims.iss !== undefined && claims.iss !== options.issuer) {
    throw tokenRejected("wrong_issuer", "it was issued by another issuer");
  }
  const aud = typeof claims.aud === "string" ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
  if (!aud.some((value) => audiences.includes(value as string))) {
    throw tokenRejected("wrong_audience", "its audience is not this endpoint of the gateway");
  }
  return verified(claims, options.issuer);
}

/** The verifier the options ask for: introspection when configured, else JWT. */
export function createAccessTokenVerifier(options: OAuthOptions): AccessTokenVerifier {
  return options.introspection ? introspectionVerifier(options) : jwtVerifier(options);
}
