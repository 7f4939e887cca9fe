import { randomBytes, timingSafeEqual } from "node:crypto";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";

const AUDIENCE = "waygate-console";

/** What a console session cookie says: whose key signed in, its CSRF token, and until when. */
export interface ConsoleSessionClaims {
  keyId: string;
  csrf: string;
  sessionId: string;
  expiresAt: Date;
}

/** Why a session cookie was refused. */
export type SessionRefusal = "expired" | "invalid";

/** Signs and checks console session tokens (HS256 JWTs) with this gateway's session secret. */
export interface SessionTokens {
  issue(keyId: string): Promise<{ token: string; claims: ConsoleSessionClaims }>;
  verify(
    token: string,
  ): Promise<{ ok: true; claims: ConsoleSessionClaims } | { ok: false; reason: SessionRefusal }>;
}

/** Creates the signer; a gateway without a configured secret uses a random one, so only it accepts its cookies. */
export function createSessionTokens(options: { secret?: string | undefined; ttlMs: number }): SessionTokens {
  const key = options.secret ? new TextEncoder().encode(options.secret) : randomBytes(32);
  return {
    async issue(keyId) {
      const csrf = randomBytes(24).toString("base64url");
      const sessionId = randomBytes(16).toString("base64url");
      const expiresAt = new Date(Math.floor((Date.now() + options.ttlMs) / 1000) * 1000);
      const token = await new SignJWT({ csrf })
        .setProtectedHeader({ alg: "HS256" })
        .setSubject(keyId)
        .setJti(sessionId)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(expiresAt)
        .sign(key);
      return { token, claims: { keyId, csrf, sessionId, expiresAt } };
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, { audience: AUDIENCE, algorithms: ["HS256"] });
        if (
          typeof payload.sub !== "string" ||
          typeof payload.csrf !== "string" ||
          typeof payload.jti !== "string"
        ) {
          return { ok: false, reason: "invalid" };
        }
        return {
          ok: true,
          claims: {
            keyId: payload.sub,
            csrf: payload.csrf,
            sessionId: payload.jti,
            expiresAt: new Date((payload.exp ?? 0) * 1000),
          },
        };
      } catch (error) {
        return { ok: false, reason: error instanceof joseErrors.JWTExpired ? "expired" : "invalid" };
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
