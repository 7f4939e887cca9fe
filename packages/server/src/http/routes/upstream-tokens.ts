import type { UpstreamUserTokenInfo } from "@waygate/core";
import { type Router as ExpressRouter, Router as expressRouter } from "express";
import { BadRequestError, NotFoundError } from "../../errors/errors.js";
import { sendError } from "../../errors/send-error.js";
import type { GatewayContext } from "../../gateway-context.js";
import { principalOf } from "../../upstreams/user-tokens/principal.js";
import { contextOf } from "../request-context.js";

const shown = (info: UpstreamUserTokenInfo) => ({
  server: info.server,
  principal: info.principal,
  expiresAt: info.expiresAt?.toISOString() ?? null,
  createdAt: info.createdAt.toISOString(),
  updatedAt: info.updatedAt.toISOString(),
});

function userServer(ctx: GatewayContext, server: string): string {
  if (!ctx.upstreamHost.userUpstreams?.has(server)) {
    const names = Object.entries(ctx.options.upstreamOAuth)
      .filter(([, oauth]) => oauth.authorizationCode)
      .map(([name]) => name);
    throw new NotFoundError(
      "unknown_server",
      `'${server}' has no per-user tokens; servers with them (upstreamOAuth.<name>.authorizationCode): ${names.join(", ") || "none"}`,
    );
  }
  return server;
}

async function revoke(ctx: GatewayContext, server: string, principal: string, by: string) {
  const revoked = await ctx.upstreamHost.userUpstreams?.revoke(server, principal);
  if (!revoked) {
    throw new NotFoundError(
      "not_found",
      `No token of '${principal}' at '${server}' is stored (nothing to revoke)`,
    );
  }
  ctx.logger.info("upstream user token revoked", { server, principal, by });
}

/**
 * `/oauth/upstream/tokens`: a caller's own per-user upstream tokens (listed without secrets) and their revocation.
 * Any authenticated caller may see and revoke its own, and nobody else's.
 */
export function ownUpstreamTokenRoutes(ctx: GatewayContext): ExpressRouter {
  const routes = expressRouter();
  const own = (res: Parameters<typeof contextOf>[0]) => {
    const principal = principalOf(contextOf(res).caller?.keyId ?? null);
    if (!principal)
      throw new BadRequestError("Per-user upstream tokens need an authenticated caller (auth is off)");
    return principal;
  };
  routes.get("/", async (_req, res) => {
    try {
      const tokens = await ctx.store.repos.upstreamUserTokens.list({ principal: own(res) });
      res.json({ tokens: tokens.map(shown) });
    } catch (error) {
      sendError(res, error, ctx.production);
    }
  });
  routes.delete("/:server", async (req, res) => {
    try {
      const principal = own(res);
      const server = userServer(ctx, String(req.params.server));
      await revoke(ctx, server, principal, "self");
      res.json({ revoked: { server, principal } });
    } catch (error) {
      sendError(res, error, ctx.production);
    }
  });
  return routes;
}

/** `/admin/upstream-tokens`: every principal's per-user upstream tokens (without secrets), and revoking any. */
export function adminUpstreamTokenRoutes(ctx: GatewayContext): ExpressRouter {
  const routes = expressRouter();
  routes.get("/", async (req, res) => {
    try {
      const filter: { server?: string; principal?: string } = {};
      for (const name of ["server", "principal"] as const) {
        const value = req.query[name];
        if (value === undefined) continue;
        if (typeof value !== "string" || value === "") {
          throw new BadRequestError(`${name} must be given once, as a non-empty string (e.g. ?${name}=crm)`);
        }
        filter[name] = value;
      }
      const tokens = await ctx.store.repos.upstreamUserTokens.list(filter);
      res.json({ tokens: tokens.map(shown) });
    } catch (error) {
      sendError(res, error, ctx.production);
    }
  });
  routes.delete("/:server/:principal", async (req, res) => {
    try {
      const server = userServer(ctx, String(req.params.server));
      const principal = String(req.params.principal);
      await revoke(ctx, server, principal, "admin");
      res.json({ revoked: { server, principal } });
    } catch (error) {
      sendError(res, error, ctx.production);
    }
  });
  return routes;
}
