import { randomBytes, timingSafeEqual } from "node:crypto";

const AUDIENCE = "waygate-console";

/**
 * An operator signed in through an external OAuth issuer: no key row, so the session carries the policy their token
 * gave them at sign-in (the session never outlives that token).
 */
export interface ConsoleOAuthPrincipal {
  name: string;
  scopes: string[];
  toolPatterns: string[] | null;
  rateLimitPerMinute: number | null;
  issuer: string;
  subject: string;
  clientId: string | null;
}

/** What a console session cookie says: whose key (or OAuth principal) signed in, its CSRF token, and until when. */
export interface ConsoleSessionClaims {
  /** The API key's id, or an OAuth principal's `oauth:<subject>@<client>`. */
  keyId: string;
  /** Set for an operator signed in through an external issuer. */
  principal?: ConsoleOAuthPrincipal;
  csrf: string;
  sessionId: string;
  expiresAt: Date;
}

/** Why a session cookie was refused. */
export type SessionRefusal = "expired" | "invalid";

/** Signs and checks console session tokens (HS256 JWTs) with this gateway's session secret. */
export interface SessionTokens {
  /** Signs a session for a key id (or an OAuth principal) that ends at `ttlMs`, or at `notAfter` if sooner. */
  issue(
    keyId: string,
    extra?: { principal?: ConsoleOAuthPrincipal; notAfter?: Date },
  ): Promise<{ token: string; claims: ConsoleSessionClaims }>;
  verify(
    token: string,
  ): Promise<{ ok: true; claims: ConsoleSessionClaims } | { ok: false; reason: SessionRefusal }>;
}

/** Creates the signer; a gateway without a configured secret uses a random one, so only it accepts its cookies. */
export function createSessionTokens(options: { secret?: string | undefined; ttlMs: number }): SessionTokens {
  const key = options.secret ? new TextEncoder().encode(options.secret) : randomBytes(32);
  return {
    async issue(keyId, extra = {}) {
      const csrf = randomBytes(24).toString("base64url");
      const sessionId = randomBytes(16).toString("base64url");
      const until = Math.min(
        Date.now() + options.ttlMs,
        extra.notAfter?.getTime() ?? Number.POSITIVE_INFINITY,
      );
      const expiresAt = new Date(Math.floor(until / 1000) * 1000);
      // jose is loaded on the first sign-in, not at start: an idle gateway does not need it.
      const { SignJWT } = await import("jose");
      const token = await new SignJWT({ csrf, ...(extra.principal ? { pol: extra.principal } : {}) })
        .setProtectedHeader({ alg: "HS256" })
        .setSubject(keyId)
        .setJti(sessionId)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(expiresAt)
        .sign(key);
      const claims: ConsoleSessionClaims = { keyId, csrf, sessionId, expiresAt };
      if (extra.principal) claims.principal = extra.principal;
      return { token, claims };
    },
    async verify(token) {
      const { jwtVerify } = await import("jose");
      try {
        const { payload } = await jwtVerify(token, key, { audience: AUDIENCE, algorithms: ["HS256"] });
        if (
          typeof payload.sub !== "string" ||
          typeof payload.csrf !== "string" ||
          typeof payload.jti !== "string"
        ) {
          return { ok: false, reason: "invalid" };
        }
        const claims: ConsoleSessionClaims = {
          keyId: payload.sub,
          csrf: payload.csrf,
          sessionId: payload.jti,
          expiresAt: new Date((payload.exp ?? 0) * 1000),
        };
        // Only this gateway signs `pol`, so its shape is the one `issue` wrote.
        if (payload.pol && typeof payload.pol === "object")
          claims.principal = payload.pol as ConsoleOAuthPrincipal;
        return { ok: true, claims };
      } catch (error) {
        return {
          ok: false,
          reason: (error as { code?: unknown }).code === "ERR_JWT_EXPIRED" ? "expired" : "invalid",
        };
      }
    },
  };
}

/** Compares a presented CSRF token with the session's in constant time. */
export function csrfMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
