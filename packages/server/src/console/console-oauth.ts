import { parse as parseCookies, serialize as serializeCookie } from "cookie";
import { type Router as ExpressRouter, Router as expressRouter, type Request, type Response } from "express";
import { CONSOLE_CLIENT_ID } from "../auth/builtin/provider.js";
import type { AuthFailureLimit } from "../auth/failure-limit.js";
import { discoverIssuer, type IssuerMetadata } from "../auth/issuer-metadata.js";
import type { OAuthAuthenticator } from "../auth/oauth.js";
import { AuthError, GatewayError, NotFoundError } from "../errors/errors.js";
import { sendError } from "../errors/send-error.js";
import type { GatewayContext } from "../gateway-context.js";
import type { Caller } from "../http/request-context.js";
import { hasScope } from "../policy/scopes.js";
import {
  type ConsoleSessionSettings,
  type ConsoleSessions,
  callerOfKey,
  secureFor,
} from "./console-session.js";
import { createSignInFlows, stateMatches } from "./oauth-flow.js";

/** The cookie that carries a sign-in in progress from `start` to `callback` (sealed state and PKCE verifier). */
export const FLOW_COOKIE = "waygate_console_oauth";
/** Where the console's OAuth routes live; the callback is the redirect URI registered for the console. */
const BASE = "/console/api/oauth";
const FLOW_TTL_MS = 10 * 60_000;

/** The console's redirect URI for a public URL. */
export function consoleRedirectUri(publicUrl: string): string {
  return new URL(`${BASE}/callback`, publicUrl).href;
}

/** Why a console OAuth sign-in was refused: the `signin_error` the console is sent back with. */
export type ConsoleSignInRefusal =
  | "no_sign_in"
  | "state_mismatch"
  | "wrong_issuer"
  | "issuer_refused"
  | "code_refused"
  | "token_refused"
  | "not_admin"
  | "issuer_unavailable"
  | "rate_limited";

/** What the OAuth sign-in needs from the gateway. */
export interface ConsoleOAuthDeps {
  ctx: GatewayContext;
  settings: ConsoleSessionSettings & { oauthClientId?: string | undefined };
  oauth: OAuthAuthenticator;
  sessions: ConsoleSessions;
  failures: AuthFailureLimit;
}

type Endpoints = Required<Pick<IssuerMetadata, "authorization_endpoint" | "token_endpoint">>;

/**
 * OAuth sign-in for the console (authorization code + PKCE S256, public client). The gateway is the client: it keeps
 * the state and verifier in a sealed HttpOnly cookie, redeems the code itself, checks the access token as it checks
 * any token for `<publicUrl>/`, and turns an admin into the same session cookie a key sign-in gets. The token never
 * reaches the page's script, and the page's CSP keeps `connect-src 'self'`.
 */
export function consoleOAuthRoutes(deps: ConsoleOAuthDeps): ExpressRouter {
  const { ctx, settings, oauth } = deps;
  const options = oauth.options;
  const builtin = ctx.builtinAuth !== undefined;
  const clientId = builtin ? CONSOLE_CLIENT_ID : settings.oauthClientId;
  const redirectUri = consoleRedirectUri(options.publicUrl);
  const flows = createSignInFlows({ secret: settings.sessionSecret, ttlMs: FLOW_TTL_MS });
  let endpoints: Promise<Endpoints> | undefined;
  const endpointsOf = () => {
    endpoints ??= discoverIssuer(options.issuer, options.issuerTimeoutMs).then((metadata) => {
      if (!metadata.authorization_endpoint || !metadata.token_endpoint) {
        throw new GatewayError(
          "issuer_unavailable",
          `The OAuth issuer ${options.issuer} publishes no authorization_endpoint or token_endpoint`,
        );
      }
      return metadata as IssuerMetadata & Endpoints;
    });
    endpoints.catch(() => {
      endpoints = undefined;
    });
    return endpoints;
  };

  const flowCookie = (req: Request, res: Response, value: string, maxAgeSeconds: number) =>
    res.append(
      "Set-Cookie",
      serializeCookie(FLOW_COOKIE, value, {
        httpOnly: true,
        // Lax, not Strict: the callback is a top-level navigation coming back from the issuer's site.
        sameSite: "lax",
        secure: secureFor(req, settings.secureCookie),
        path: BASE,
        maxAge: maxAgeSeconds,
      }),
    );

  const refuse = async (
    req: Request,
    res: Response,
    reason: ConsoleSignInRefusal,
    detail: string,
    count = true,
  ) => {
    if (count) await deps.failures.recordFailure(req);
    ctx.logger.warn("console OAuth sign-in refused", { reason, detail });
    await ctx.store.repos.systemEvents
      .record({
        level: "warn",
        type: "console.sign_in_refused",
        message: `console OAuth sign-in refused: ${detail}`,
        details: { reason },
      })
      .catch(() => undefined);
    res.redirect(303, `/console/?signin_error=${reason}`);
  };

  const routes = expressRouter();
  routes.get("/", (_req, res) => {
    if (!clientId) {
      return sendError(
        res,
        new NotFoundError(
          "not_found",
          `OAuth sign-in to the console needs console.oauthClientId: register the console at ${options.issuer} as a public client with the redirect URI ${redirectUri}`,
        ),
        ctx.production,
      );
    }
    res.setHeader("Cache-Control", "no-store");
    res.json({ issuer: options.issuer, builtin, clientId, redirectUri, start: `${BASE}/start` });
  });

  routes.get("/start", async (req, res) => {
    try {
      if (!clientId) throw new NotFoundError("not_found", "OAuth sign-in to the console is not configured");
      const { authorization_endpoint } = await endpointsOf();
      const flow = await flows.begin();
      flowCookie(req, res, flow.sealed, FLOW_TTL_MS / 1000);
      const url = new URL(authorization_endpoint);
      url.search = new URLSearchParams({
        response_type: "code",
        client_id: clientId,
        redirect_uri: redirectUri,
        code_challenge: flow.challenge,
        code_challenge_method: "S256",
        state: flow.state,
        scope: Object.keys(options.scopes).join(" "),
        resource: new URL(options.publicUrl).href,
      }).toString();
      res.setHeader("Cache-Control", "no-store");
      res.redirect(302, url.href);
    } catch (error) {
      if (GatewayError.isInstance(error) && error.code === "issuer_unavailable") {
        return refuse(req, res, "issuer_unavailable", error.message, false);
      }
      sendError(res, error, ctx.production);
    }
  });

  routes.get("/callback", async (req, res) => {
    try {
      // A flow is used once: whatever happens next, the cookie is gone.
      const pending = await flows.open(parseCookies(req.headers.cookie ?? "")[FLOW_COOKIE]);
      flowCookie(req, res, "", 0);
      const blocked = await deps.failures.blockedFor(req);
      if (blocked !== undefined) {
        res.setHeader("Retry-After", String(blocked));
        return await refuse(req, res, "rate_limited", "too many failed sign-ins from this address", false);
      }
      const query = req.query as Record<string, unknown>;
      if (!pending) return await refuse(req, res, "no_sign_in", "no sign-in in progress (or it expired)");
      if (!stateMatches(query.state, pending.state)) {
        return await refuse(req, res, "state_mismatch", "the state does not match this browser's sign-in");
      }
      if (query.iss !== undefined && query.iss !== options.issuer) {
        return await refuse(
          req,
          res,
          "wrong_issuer",
          `the answer names another issuer (${String(query.iss)})`,
        );
      }
      if (typeof query.error === "string") {
        return await refuse(req, res, "issuer_refused", `the issuer answered ${query.error}`, false);
      }
      if (typeof query.code !== "string" || query.code === "") {
        return await refuse(req, res, "code_refused", "the issuer sent no authorization code");
      }
      const redeemed = await redeem(query.code, pending.verifier);
      if (!redeemed.ok) return await refuse(req, res, "code_refused", redeemed.detail);
      let caller: Caller;
      try {
        caller = await oauth.authenticate(redeemed.accessToken, "/");
      } catch (error) {
        if (error instanceof AuthError) return await refuse(req, res, "token_refused", error.message);
        throw error;
      }
      const admin = await adminOf(caller);
      if (!admin) {
        return await refuse(req, res, "not_admin", `${caller.keyName} lacks the admin scope`, false);
      }
      await deps.sessions.establish(req, res, admin, redeemed.notAfter);
      res.setHeader("Cache-Control", "no-store");
      res.redirect(303, "/console/");
    } catch (error) {
      if (GatewayError.isInstance(error) && error.code === "issuer_unavailable") {
        return refuse(req, res, "issuer_unavailable", error.message, false);
      }
      sendError(res, error, ctx.production);
    }
  });

  /** Redeems the code at the issuer's token endpoint as a public client with the PKCE verifier. */
  async function redeem(
    code: string,
    verifier: string,
  ): Promise<{ ok: true; accessToken: string; notAfter?: Date } | { ok: false; detail: string }> {
    const { token_endpoint } = await endpointsOf();
    let response: globalThis.Response;
    try {
      response = await fetch(token_endpoint, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          code,
          redirect_uri: redirectUri,
          code_verifier: verifier,
          // No `resource` here: the token is for what was authorised, and its audience is checked below like any
          // token's, so a code obtained for another resource cannot become a console session.
          client_id: clientId ?? "",
        }),
        redirect: "error",
        signal: AbortSignal.timeout(options.issuerTimeoutMs),
      });
    } catch (error) {
      throw new GatewayError(
        "issuer_unavailable",
        `The token endpoint ${token_endpoint} failed: ${String(error)}`,
      );
    }
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok || typeof body.access_token !== "string") {
      const why = typeof body.error === "string" ? body.error : `HTTP ${response.status}`;
      return { ok: false, detail: `the issuer refused the code (${why})` };
    }
    const expiresIn = typeof body.expires_in === "number" ? body.expires_in : undefined;
    return {
      ok: true,
      accessToken: body.access_token,
      ...(expiresIn ? { notAfter: new Date(Date.now() + expiresIn * 1000) } : {}),
    };
  }

  /**
   * The caller the session acts as, when it holds `admin`. With the built-in server that is the API key entered on
   * its sign-in page, as it stands now (its session re-reads the key on every request, like a key sign-in); with an
   * external issuer, the policy the token maps to.
   */
  async function adminOf(caller: Caller): Promise<Caller | undefined> {
    if (builtin && caller.keyId) {
      const key = await ctx.store.repos.apiKeys.get(caller.keyId);
      return key && hasScope(key.scopes, "admin") ? callerOfKey(key) : undefined;
    }
    return hasScope(caller.scopes, "admin") ? caller : undefined;
  }

  return routes;
}
