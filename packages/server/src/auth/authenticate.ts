import { API_KEY_PREFIX } from "@waygate/core";
import type { Request, RequestHandler, Response } from "express";
import { AuthError, ForbiddenError, GatewayError } from "../errors/errors.js";
import { sendError } from "../errors/send-error.js";
import { type Caller, callerNoun, contextOf } from "../http/request-context.js";
import type { GatewayMetrics } from "../metrics.js";
import { hasScope, SCOPES, type Scope } from "../policy/scopes.js";
import type { AuthFailureLimit } from "./failure-limit.js";
import { type OAuthAuthenticator, requestPath } from "./oauth.js";

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
  | { ok: false; reason: "malformed" | "unknown" | "revoked" | "expired"; keyId?: string };

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

const MISSING_WITH_OAUTH =
  "Authentication required: send an OAuth access token as 'Authorization: Bearer <token>' (the WWW-Authenticate header names where to get one) or an API key";

/** Settings of the authentication middleware. */
export interface AuthOptions {
  mode: "required" | "none";
  verify: KeyVerifier;
  metrics: GatewayMetrics;
  production: boolean;
  /** Set when OAuth is configured: bearer tokens that are not API keys are checked as access tokens. */
  oauth?: OAuthAuthenticator;
  /** Audits a refused access token (an authentication failure) before the 401 is sent. */
  onTokenRefused?: (req: Request, res: Response, error: AuthError) => Promise<void>;
  /** Audits a refused revoked or expired API key (its id is known) before the 401 is sent. */
  onKeyRefused?: (req: Request, res: Response, error: AuthError, keyId: string) => Promise<void>;
  /** Failed authentications per client address; past its limit a request gets 429 before its key is looked up. */
  failures?: AuthFailureLimit;
}

/** Counts a failed authentication for the client address (never fails the request), then sends the 401. */
function refuseCounted(req: Request, res: Response, error: AuthError, options: AuthOptions): void {
  // Counted before the 401 goes out, so the address's next request sees it.
  void (options.failures?.recordFailure(req) ?? Promise.resolve())
    .catch(() => {})
    .then(() => sendError(res, error, options.production));
}

/** With OAuth on, a bearer credential that is not shaped like a Waygate key is an access token. */
function isAccessToken(req: Request, credential: string, options: AuthOptions): boolean {
  return (
    options.oauth !== undefined &&
    req.header("authorization") !== undefined &&
    !credential.startsWith(API_KEY_PREFIX)
  );
}

/** Checks an access token; a refusal is counted, audited and answered with 401 and a challenge. */
function authenticateToken(options: AuthOptions & { oauth: OAuthAuthenticator }): RequestHandler {
  return (req, res, next) => {
    const context = contextOf(res);
    options.oauth.authenticate(presentedKey(req) ?? "", requestPath(req)).then(
      (caller) => {
        context.caller = caller;
        next();
      },
      async (error: unknown) => {
        if (!(error instanceof AuthError)) return next(error);
        options.metrics.authFailures.inc({ reason: String(error.details?.reason ?? "invalid_token") });
        try {
          await options.onTokenRefused?.(req, res, error);
        } catch {
          // The 401 stands even when its audit row could not be written.
        }
        refuseCounted(req, res, error, options);
      },
    );
  };
}

/** Verifies the caller's key and stores the caller on the request context; 401 with the reason otherwise. */
export function authenticate(options: AuthOptions): RequestHandler {
  const token = options.oauth ? authenticateToken({ ...options, oauth: options.oauth }) : undefined;
  const check: RequestHandler = (req, res, next) => {
    const context = contextOf(res);
    if (options.oauth) context.challenge = options.oauth.challengeFor(requestPath(req), context);
    const key = presentedKey(req);
    if (token && key && isAccessToken(req, key, options)) return token(req, res, next);
    if (key === undefined || key === "") {
      options.metrics.authFailures.inc({ reason: key === undefined ? "missing" : "malformed" });
      const message =
        key === undefined && options.oauth
          ? MISSING_WITH_OAUTH
          : reasonMessages[key === undefined ? "missing" : "malformed"];
      return refuseCounted(req, res, new AuthError(message), options);
    }
    options.verify(key).then(
      (result) => {
        if (!result.ok) {
          options.metrics.authFailures.inc({ reason: result.reason });
          const error = new AuthError(reasonMessages[result.reason], { reason: result.reason });
          const { keyId } = result;
          if (keyId === undefined || !options.onKeyRefused) return refuseCounted(req, res, error, options);
          // The 401 stands even when its audit row could not be written.
          return void options
            .onKeyRefused(req, res, error, keyId)
            .catch(() => {})
            .then(() => refuseCounted(req, res, error, options));
        }
        context.caller = {
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
    sendError(
      res,
      new ForbiddenError(`${callerNoun(caller)} lacks the '${scope}' scope`, { scope }),
      production,
    );
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
