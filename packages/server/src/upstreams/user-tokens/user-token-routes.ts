import { type Request, type Response, Router } from "express";
import type { Logger } from "winston";
import { sameNonce } from "./sign-ins.js";
import { UserTokenProvider } from "./user-token-provider.js";
import { USER_TOKEN_PATHS, type UserUpstreams } from "./user-upstreams.js";

const COOKIE = "waygate_upstream_sign_in";
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res: Response, status: number, title: string, text: string): void {
  res
    .status(status)
    .set("cache-control", "no-store")
    .set("content-security-policy", "default-src 'none'")
    .type("html")
    .send(
      `<!doctype html><meta charset="utf-8"><title>${escapeHtml(title)}</title><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>`,
    );
}

function cookieOf(req: Request): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === COOKIE) return value.join("=");
  }
  return undefined;
}

/**
 * The browser's side of a per-user upstream sign-in. The link `/oauth/upstream/start/<id>` opens once: it sets a
 * cookie bound to the sign-in and redirects to the upstream's authorization server. The callback must carry a live
 * `state` and come from that same browser (the cookie): a code delivered to another browser, or for another
 * principal's sign-in, is refused. The token is bound to the principal who asked for the link, never to whoever
 * completes it.
 */
export function userTokenRoutes(upstreams: UserUpstreams, logger: Logger): Router {
  const router = Router();
  router.get(`${USER_TOKEN_PATHS.start}/:id`, (req, res) => {
    const signIn = upstreams.signIns.byId(String(req.params.id));
    if (!signIn?.authorizationUrl) {
      page(res, 404, "Sign-in link unknown or expired", "Call the tool again for a new link.");
      return;
    }
    if (signIn.opened) {
      page(
        res,
        410,
        "Sign-in link already used",
        "Each link opens once. Call the tool again for a new link.",
      );
      return;
    }
    signIn.opened = true;
    const secure = req.secure || req.headers["x-forwarded-proto"] === "https";
    res.cookie(COOKIE, signIn.browserNonce, {
      httpOnly: true,
      // Lax: the authorization server's redirect back is a top-level GET from another site.
      sameSite: "lax",
      secure,
      path: USER_TOKEN_PATHS.callback,
      maxAge: Math.max(0, signIn.expiresAt - Date.now()),
    });
    res.set("cache-control", "no-store").redirect(302, signIn.authorizationUrl.href);
  });

  router.get(USER_TOKEN_PATHS.callback, async (req, res) => {
    const state = typeof req.query.state === "string" ? req.query.state : "";
    const signIn = state ? upstreams.signIns.byState(state) : undefined;
    if (!signIn) {
      page(
        res,
        400,
        "Sign-in unknown or expired",
        "This sign-in is not in progress here. Call the tool again for a new link.",
      );
      return;
    }
    if (!sameNonce(cookieOf(req), signIn.browserNonce)) {
      // Not the browser that opened the link: a code from someone else's sign-in is never bound to this principal.
      page(res, 403, "Sign-in refused", "Finish the sign-in in the browser where you opened the link.");
      return;
    }
    res.clearCookie(COOKIE, { path: USER_TOKEN_PATHS.callback });
    const scope = upstreams.scopeOf(signIn.server);
    const code = typeof req.query.code === "string" ? req.query.code : undefined;
    if (!scope || !code) {
      const reason = typeof req.query.error === "string" ? req.query.error : "no authorization code";
      upstreams.signIns.finish(signIn, new Error(`the authorization server answered: ${reason}`));
      page(
        res,
        400,
        "Sign-in failed",
        `The authorization server answered: ${reason}. Call the tool again to retry.`,
      );
      return;
    }
    try {
      const iss = typeof req.query.iss === "string" ? req.query.iss : undefined;
      await new UserTokenProvider(scope, signIn.principal, signIn).exchange(code, iss);
      upstreams.signIns.finish(signIn);
      await upstreams.connect(signIn.server, signIn.principal);
      logger.info("upstream sign-in finished", { server: signIn.server, principal: signIn.principal });
      page(
        res,
        200,
        `Signed in to ${signIn.server}`,
        "You can close this tab and go back to your MCP client.",
      );
    } catch (error) {
      upstreams.signIns.finish(signIn, error as Error);
      logger.warn("upstream sign-in failed", {
        server: signIn.server,
        principal: signIn.principal,
        error: (error as Error).message,
      });
      page(res, 502, "Sign-in failed", `${(error as Error).message}. Call the tool again to retry.`);
    }
  });
  return router;
}
