import type { OAuthGrantInfo } from "@waygate/core";
import {
  type ErrorRequestHandler,
  type Router as ExpressRouter,
  Router as expressRouter,
  type Request,
} from "express";
import { BadRequestError, NotFoundError } from "../../errors/errors.js";
import { sendError } from "../../errors/send-error.js";
import type { GatewayContext } from "../../gateway-context.js";

/** One query parameter given at most once and not empty, or undefined; a 400 naming the parameter otherwise. */
function queryOf(req: Request, name: string, example: string): string | undefined {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") {
    throw new BadRequestError(`${name} must be given once, as a non-empty string (e.g. ?${name}=${example})`);
  }
  return value;
}

/**
 * `/admin/oauth/grants`: the built-in authorization server's grants (a person allowed a client to act as their key),
 * listed by key or client without any token, and revoked one by one or every grant of a key. Revoking a grant
 * deletes its codes and refresh tokens and refuses its access tokens at their next use.
 */
export function adminOAuthGrantRoutes(ctx: GatewayContext): ExpressRouter {
  const routes = expressRouter();
  const store = ctx.store.repos.oauthStore;
  routes.use((_req, _res, next) => {
    if (ctx.builtinAuth) return next();
    next(
      new NotFoundError(
        "not_found",
        "The built-in authorization server is off: grants exist only with `gateway.oauth.builtin` (with an external issuer, revoke at the issuer)",
      ),
    );
  });
  const shown = async (grant: OAuthGrantInfo) => {
    const client = await store.find("Client", grant.clientId);
    return {
      ...grant,
      clientName: typeof client?.client_name === "string" ? client.client_name : null,
      createdAt: grant.createdAt?.toISOString() ?? null,
      expiresAt: grant.expiresAt?.toISOString() ?? null,
    };
  };

  routes.get("/", async (req, res) => {
    try {
      const key = queryOf(req, "key", "<key id>");
      const client = queryOf(req, "client", "<client id>");
      const grants = await store.listGrants({
        ...(key ? { accountId: key } : {}),
        ...(client ? { clientId: client } : {}),
      });
      res.json({ grants: await Promise.all(grants.map(shown)) });
    } catch (error) {
      sendError(res, error, ctx.production);
    }
  });

  routes.delete("/", async (req, res) => {
    try {
      const key = queryOf(req, "key", "<key id>");
      if (!key) {
        throw new BadRequestError(
          "Say whose grants to revoke: DELETE /admin/oauth/grants?key=<key id>, or DELETE /admin/oauth/grants/<grant id> for one",
        );
      }
      const revoked = await store.revokeGrantsOfAccount(key);
      ctx.logger.info("oauth grants revoked", { keyId: key, count: revoked });
      res.json({ revoked, key });
    } catch (error) {
      sendError(res, error, ctx.production);
    }
  });

  routes.delete("/:grantId", async (req, res) => {
    try {
      const grantId = String(req.params.grantId);
      if (!(await store.revokeGrant(grantId))) {
        throw new NotFoundError(
          "not_found",
          `No live grant '${grantId}': see GET /admin/oauth/grants for the grants there are (an expired one is gone already)`,
        );
      }
      ctx.logger.info("oauth grant revoked", { grantId });
      res.json({ revoked: 1, grantId });
    } catch (error) {
      sendError(res, error, ctx.production);
    }
  });
  const onError: ErrorRequestHandler = (error, _req, res, _next) => sendError(res, error, ctx.production);
  routes.use(onError);
  return routes;
}
