import type { ApiKeyRecord } from "@waygate/core";
import { parse as parseCookies, serialize as serializeCookie } from "cookie";
import {
  type Router as ExpressRouter,
  Router as expressRouter,
  type Request,
  type RequestHandler,
  type Response,
} from "express";
import { z } from "zod";
import { type KeyVerifier, presentedKey } from "../auth/authenticate.js";
import type { AuthFailureLimit } from "../auth/failure-limit.js";
import { AuthError, BadRequestError, ForbiddenError, GatewayError } from "../errors/errors.js";
import { sendError } from "../errors/send-error.js";
import type { GatewayContext } from "../gateway-context.js";
import { type Caller, contextOf } from "../http/request-context.js";
import { hasScope } from "../policy/scopes.js";
import {
  type ConsoleOAuthPrincipal,
  type ConsoleSessionClaims,
  createSessionTokens,
  csrfMatches,
} from "./session-token.js";

/** Name of the console's session cookie. */
export const SESSION_COOKIE = "waygate_console";
/** Header that carries the CSRF token on every state-changing request made with the session cookie. */
export const CSRF_HEADER = "X-CSRF-Token";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const SignInBodySchema = z.object({ key: z.string().trim().min(1, "paste an API key with the admin scope") });

/** Console session settings (the `console` option after defaults). */
export interface ConsoleSessionSettings {
  sessionTtlMs: number;
  sessionSecret?: string | undefined;
  secureCookie: "auto" | "always" | "never";
  /** The console's client id at an external OAuth issuer (the built-in one needs none). */
  oauthClientId?: string | undefined;
}

type SessionCheck =
  | { ok: true; claims: ConsoleSessionClaims; caller: Caller }
  | { ok: false; message: string };

/** The caller of an API key, as the console's requests act. */
export function callerOfKey(key: ApiKeyRecord): Caller {
  return {
    keyId: key.id,
    keyName: key.name,
    scopes: key.scopes,
    toolPatterns: key.toolPatterns,
    rateLimitPerMinute: key.rateLimitPerMinute,
  };
}

/** How events name who signed in or out: "key <name>", or an OAuth principal's name. */
function whoIs(caller: Caller): string {
  return caller.principal ? caller.keyName : `key ${caller.keyName}`;
}

/** The caller of an operator signed in through an external issuer: the policy their token gave them at sign-in. */
function callerOfPrincipal(keyId: string, principal: ConsoleOAuthPrincipal): Caller {
  return {
    keyId,
    keyName: principal.name,
    scopes: principal.scopes,
    toolPatterns: principal.toolPatterns,
    rateLimitPerMinute: principal.rateLimitPerMinute,
    principal: {
      issuer: principal.issuer,
      subject: principal.subject,
      clientId: principal.clientId,
      tokenScopes: [],
    },
  };
}

/** Signs operators in with an admin key and authenticates their requests by the session cookie. */
export interface ConsoleSessions {
  /** `auth` for routes the console calls: a request with the session cookie and no API key uses its session. */
  orKey(auth: RequestHandler): RequestHandler;
  /** `POST`/`GET`/`DELETE /console/api/session`: sign in, who is signed in (and the CSRF token), sign out. */
  routes: ExpressRouter;
  /**
   * Signs in a caller that proved itself another way (OAuth): sets the session cookie, ending no later than
   * `notAfter`. The caller must hold `admin`; an API key's session re-reads the key on every request.
   */
  establish(req: Request, res: Response, caller: Caller, notAfter?: Date): Promise<void>;
}

function cookieOf(req: Request): string | undefined {
  const header = req.headers.cookie;
  return header ? parseCookies(header)[SESSION_COOKIE] : undefined;
}

/** Secure when the request came over TLS (directly or as a proxy says); a spoofed header only makes it stricter. */
export function secureFor(req: Request, mode: ConsoleSessionSettings["secureCookie"]): boolean {
  if (mode !== "auto") return mode === "always";
  const forwarded = req.header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
  return req.secure || forwarded === "https";
}

/** Creates sign-in, sign-out and cookie authentication for the console. */
export function createConsoleSessions(
  ctx: GatewayContext,
  settings: ConsoleSessionSettings,
  deps: { verify: KeyVerifier; failures: AuthFailureLimit },
): ConsoleSessions {
  const tokens = createSessionTokens({ secret: settings.sessionSecret, ttlMs: settings.sessionTtlMs });
  // Signed-out sessions until their cookie would have expired anyway (per process: a stateless token cannot be
  // withdrawn elsewhere, which is why sessions are short-lived).
  const signedOut = new Map<string, number>();
  const { production } = ctx;

  const setCookie = (req: Request, res: Response, value: string, expires: Date) =>
    res.append(
      "Set-Cookie",
      serializeCookie(SESSION_COOKIE, value, {
        httpOnly: true,
        sameSite: "strict",
        secure: secureFor(req, settings.secureCookie),
        path: "/",
        expires,
      }),
    );

  async function check(req: Request): Promise<SessionCheck> {
    const token = cookieOf(req);
    if (!token) return { ok: false, message: "Not signed in: sign in to the console with an admin API key" };
    const verified = await tokens.verify(token);
    if (!verified.ok) {
      return {
        ok: false,
        message:
          verified.reason === "expired"
            ? "Your console session has expired: sign in again"
            : "This console session was not issued by this gateway: sign in again",
      };
    }
    const { claims } = verified;
    if (signedOut.has(claims.sessionId)) return { ok: false, message: "You have signed out: sign in again" };
    if (claims.principal) {
      if (!hasScope(claims.principal.scopes, "admin"))
        return { ok: false, message: "This console session lacks the admin scope" };
      return { ok: true, claims, caller: callerOfPrincipal(claims.keyId, claims.principal) };
    }
    const key = await ctx.store.repos.apiKeys.get(claims.keyId);
    if (!key || key.revokedAt)
      return { ok: false, message: "The key of this session was revoked: sign in with another admin key" };
    if (key.expiresAt && key.expiresAt.getTime() <= Date.now()) {
      return { ok: false, message: "The key of this session has expired: sign in with another admin key" };
    }
    if (!hasScope(key.scopes, "admin"))
      return { ok: false, message: "The key of this session lost the admin scope" };
    return { ok: true, claims, caller: callerOfKey(key) };
  }

  const orKey =
    (auth: RequestHandler): RequestHandler =>
    (req, res, next) => {
      if (presentedKey(req) !== undefined || cookieOf(req) === undefined) return auth(req, res, next);
      check(req).then((result) => {
        if (!result.ok)
          return sendError(res, new AuthError(result.message, { reason: "console_session" }), production);
        if (!SAFE_METHODS.has(req.method) && !csrfMatches(req.header(CSRF_HEADER), result.claims.csrf)) {
          return sendError(
            res,
            new ForbiddenError(
              `Missing or wrong CSRF token: send the ${CSRF_HEADER} header that GET /console/api/session returns`,
              { reason: "csrf" },
            ),
            production,
          );
        }
        contextOf(res).caller = result.caller;
        next();
      }, next);
    };

  // Sign-ins and sign-outs are system events; a failed write never fails the sign-in itself.
  const recordEvent = (type: string, message: string, keyId: string) =>
    ctx.store.repos.systemEvents.record({ level: "info", type, message, details: { keyId } }).then(
      () => undefined,
      () => undefined,
    );

  const routes = expressRouter();
  routes.post("/session", async (req, res) => {
    try {
      const blocked = await deps.failures.blockedFor(req);
      if (blocked !== undefined) {
        res.setHeader("Retry-After", String(blocked));
        throw new GatewayError(
          "rate_limited",
          `Too many failed sign-ins from this address; retry after ${blocked} s`,
        );
      }
      const parsed = SignInBodySchema.safeParse(req.body);
      if (!parsed.success) {
        throw new BadRequestError(`Invalid sign-in: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
      }
      const result = await deps.verify(parsed.data.key);
      if (!result.ok) {
        await deps.failures.recordFailure(req);
        throw new AuthError(SIGN_IN_REFUSALS[result.reason], { reason: result.reason });
      }
      if (!hasScope(result.key.scopes, "admin")) {
        throw new ForbiddenError(
          "This key lacks the 'admin' scope: the console needs an admin key (waygate keys create --scopes admin)",
          { scope: "admin" },
        );
      }
      const { token, claims } = await tokens.issue(result.key.id);
      setCookie(req, res, token, claims.expiresAt);
      await recordEvent("console.signed_in", `console sign-in with key ${result.key.name}`, result.key.id);
      res.status(201).json(sessionBody(claims, result.key.name));
    } catch (error) {
      sendError(res, error, production);
    }
  });

  routes.get("/session", async (req, res) => {
    try {
      const result = await check(req);
      if (!result.ok) throw new AuthError(result.message, { reason: "console_session" });
      res.setHeader("Cache-Control", "no-store");
      res.json(sessionBody(result.claims, result.caller.keyName));
    } catch (error) {
      sendError(res, error, production);
    }
  });

  routes.delete("/session", async (req, res) => {
    try {
      const result = await check(req);
      if (result.ok) {
        if (!csrfMatches(req.header(CSRF_HEADER), result.claims.csrf)) {
          throw new ForbiddenError(
            `Missing or wrong CSRF token: send the ${CSRF_HEADER} header to sign out`,
            {
              reason: "csrf",
            },
          );
        }
        const now = Date.now();
        for (const [id, until] of signedOut) if (until <= now) signedOut.delete(id);
        signedOut.set(result.claims.sessionId, result.claims.expiresAt.getTime());
        await recordEvent(
          "console.signed_out",
          `console sign-out of ${whoIs(result.caller)}`,
          result.claims.keyId,
        );
      }
      setCookie(req, res, "", new Date(0));
      res.json({ signedOut: true });
    } catch (error) {
      sendError(res, error, production);
    }
  });

  async function establish(req: Request, res: Response, caller: Caller, notAfter?: Date) {
    if (!caller.keyId || !hasScope(caller.scopes, "admin")) {
      throw new ForbiddenError("The console needs the 'admin' scope", { scope: "admin" });
    }
    const principal: ConsoleOAuthPrincipal | undefined = caller.principal
      ? {
          name: caller.keyName,
          scopes: [...caller.scopes],
          toolPatterns: caller.toolPatterns ? [...caller.toolPatterns] : null,
          rateLimitPerMinute: caller.rateLimitPerMinute,
          issuer: caller.principal.issuer,
          subject: caller.principal.subject,
          clientId: caller.principal.clientId,
        }
      : undefined;
    const { token, claims } = await tokens.issue(caller.keyId, {
      ...(principal ? { principal } : {}),
      ...(notAfter ? { notAfter } : {}),
    });
    setCookie(req, res, token, claims.expiresAt);
    await recordEvent("console.signed_in", `console sign-in through OAuth of ${whoIs(caller)}`, caller.keyId);
  }

  return { orKey, routes, establish };
}

const SIGN_IN_REFUSALS = {
  malformed: "That is not a Waygate API key: paste the whole key (it starts with wg_)",
  unknown: "This API key is not recognised: check it, or create one with waygate keys create --scopes admin",
  revoked: "This API key has been revoked: sign in with another admin key",
  expired: "This API key has expired: sign in with another admin key",
} as const;

function sessionBody(claims: ConsoleSessionClaims, keyName: string) {
  return {
    key: { id: claims.keyId, name: keyName },
    csrfToken: claims.csrf,
    expiresAt: claims.expiresAt.toISOString(),
  };
}
