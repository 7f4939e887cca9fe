import type { Request, RequestHandler, Response } from "express";
import type { AuthFailureLimit } from "./auth-failure-limit.js";
import { AuthError, ForbiddenError, GatewayError } from "./errors.js";
import type { GatewayMetrics } from "./metrics.js";
import { type Caller, contextOf } from "./request-context.js";
import { hasScope, SCOPES, type Scope } from "./scopes.js";
import { sendError } from "./send-error.js";

/** The subset of a core API-key record the gateway reads. */
export interface VerifiedKey {
  id: string;
  name: string;
  scopes: readonly string[];
  toolPatterns?: readonly string[] | null;
  rateLimitPerMinute?: number | null;
}

/** Result of verifying a presented key (core's `apiKeys.verify`). */
export type KeyVerification =
  | { ok: true; key: VerifiedKey }
  | { ok: false; reason: "malformed" | "unknown" | "revoked" | "expired" };

/** Verifies a plaintext key. */
export type KeyVerifier = (plaintext: string) => Promise<KeyVerification>;

/** The caller used for every request when authentication is switched off. */
export const ANONYMOUS_CALLER: Caller = {
  keyId: null,
  keyName: "anonymous",
  scopes: [...SCOPES],
  toolPatterns: null,
  rateLimitPerMinute: null,
};

/** Reads the key from `Authorization: Bearer <key>` or `X-API-Key`. */
export function presentedKey(req: Request): string | undefined {
  const header = req.header("authorization");
  if (header) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1] ?? "";
  }
  const apiKey = req.header("x-api-key");
  return apiKey === undefined ? undefined : apiKey.trim();
}

const reasonMessages: Record<"missing" | "malformed" | "unknown" | "revoked" | "expired", string> = {
  missing: "API key required: send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
  malformed: "API key is malformed; send the full key shown when it was created",
  unknown: "API key is not recognised",
  revoked: "API key has been revoked; ask an administrator for a new one",
  expired: "API key has expired; ask an administrator for a new one",
};

/** Settings of the authentication middleware. */
export interface AuthOptions {
  mode: "required" | "none";
  verify: KeyVerifier;
  metrics: GatewayMetrics;
  production: boolean;
  /** Failed authentications per client address; past its limit a request gets 429 before its key is looked up. */
  failures?: AuthFailureLimit;
}

/** Verifies the caller's key and stores the caller on the request context; 401 with the reason otherwise. */
export function authenticate(options: AuthOptions): RequestHandler {
  const refuse = (req: Request, res: Response, reason: keyof typeof reasonMessages, verified = false) => {
    options.metrics.authFailures.inc({ reason });
    const error = new AuthError(reasonMessages[reason], verified ? { reason } : undefined);
    // The failure is counted before the 401 goes out, so the next request from the address sees it.
    void (options.failures?.recordFailure(req) ?? Promise.resolve())
      .catch(() => {})
      .then(() => sendError(res, error, options.production));
  };
  const check = (req: Request, res: Response, next: (error?: unknown) => void) => {
    const key = presentedKey(req);
    if (key === undefined || key === "") return refuse(req, res, key === undefined ? "missing" : "malformed");
    options.verify(key).then(
      (result) => {
        if (!result.ok) return refuse(req, res, result.reason, true);
        contextOf(res).caller = {
          keyId: result.key.id,
          keyName: result.key.name,
          scopes: result.key.scopes,
          toolPatterns: result.key.toolPatterns ?? null,
          rateLimitPerMinute: result.key.rateLimitPerMinute ?? null,
        };
        next();
      },
      (error: unknown) => next(error),
    );
  };
  return (req, res, next) => {
    if (options.mode === "none") {
      contextOf(res).caller = ANONYMOUS_CALLER;
      return next();
    }
    const failures = options.failures;
    if (!failures) return check(req, res, next);
    failures.blockedFor(req).then(
      (seconds) => {
        if (seconds === undefined) return check(req, res, next);
        options.metrics.authFailures.inc({ reason: "address_limited" });
        res.setHeader("Retry-After", String(seconds));
        sendError(
          res,
          new GatewayError(
            "rate_limited",
            `Too many failed authentications from this address; retry after ${seconds} s`,
          ),
          options.production,
        );
      },
      (error: unknown) => next(error),
    );
  };
}

/** Refuses callers without the scope (403 naming the missing scope). */
export function requireScope(scope: Scope, production: boolean): RequestHandler {
  return (_req, res, next) => {
    const caller = contextOf(res).caller;
    if (caller && hasScope(caller.scopes, scope)) return next();
    sendError(res, new ForbiddenError(`This API key lacks the '${scope}' scope`, { scope }), production);
  };
}

/**
 * `authenticate` for public routes such as `/health`: a request without a key, or one whose key cannot be checked
 * (database down), goes on without a caller and gets the public view; a key that is refused still gets 401.
 */
export function identifyCaller(options: AuthOptions): RequestHandler {
  const strict = authenticate(options);
  return (req, res, next) => {
    if (options.mode === "required" && presentedKey(req) === undefined) return next();
    strict(req, res, () => next());
  };
}
