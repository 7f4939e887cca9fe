import { type Request, type RequestHandler, type Response, Router } from "express";
import type { GatewayMetrics } from "../../metrics.js";
import type { KeyVerifier } from "../authenticate.js";
import type { AuthFailureLimit } from "../failure-limit.js";
import { BUILTIN_ISSUER_PATH, type OAuthOptions } from "../oauth-options.js";
import type { BuiltinAuthorizationServer } from "./builtin-server.js";
import { signInRoutes } from "./sign-in-routes.js";

/** What the routes need beside the server. */
export interface BuiltinRoutesDeps {
  options: OAuthOptions;
  secretKey: string;
  verify: KeyVerifier;
  metrics: GatewayMetrics;
  failures?: AuthFailureLimit;
  /** The gateway's Host check: the built-in server answers only for this gateway's names. */
  hostAllowed(req: Request): boolean;
}

/** Where MCP clients look for the authorization server's metadata (RFC 8414 path-inserted, OIDC, and the root). */
const METADATA_PATHS = [
  `/.well-known/oauth-authorization-server${BUILTIN_ISSUER_PATH}`,
  `/.well-known/openid-configuration${BUILTIN_ISSUER_PATH}`,
  // Clients of the 2025-03-26 revision look at the gateway's origin, without protected resource metadata.
  "/.well-known/oauth-authorization-server",
];

/**
 * Serves the built-in authorization server: oidc-provider under `/oauth` (authorize, token, register, revocation,
 * JWKS, discovery), the sign-in page, and the metadata at the well-known paths clients try. The provider sees the
 * public URL's scheme and host on every request, so the URLs it publishes never come from a client's Host header.
 */
export function builtinRoutes(server: BuiltinAuthorizationServer, deps: BuiltinRoutesDeps): Router {
  const publicUrl = new URL(deps.options.publicUrl);
  const callback = server.provider.callback();
  const asPublic: RequestHandler = (req, res) => {
    req.headers.host = publicUrl.host;
    req.headers["x-forwarded-proto"] = publicUrl.protocol.slice(0, -1);
    delete req.headers["x-forwarded-host"];
    delete req.headers["x-forwarded-port"];
    callback(req, res);
  };
  const hostGuard: RequestHandler = (req, res, next) => {
    if (deps.hostAllowed(req)) return next();
    res
      .status(403)
      .type("text/plain")
      .send(`Host header '${req.headers.host ?? ""}' is not allowed`);
  };
  const router = Router();
  router.use(hostGuard);
  router.get(METADATA_PATHS, (req: Request, res: Response) => {
    // The provider's own discovery document, as if asked at `/oauth/.well-known/openid-configuration`.
    req.url = "/.well-known/openid-configuration";
    req.originalUrl = `${BUILTIN_ISSUER_PATH}/.well-known/openid-configuration`;
    asPublic(req, res, () => {});
  });
  router.options(METADATA_PATHS, (req: Request, res: Response) => {
    req.url = "/.well-known/openid-configuration";
    req.originalUrl = `${BUILTIN_ISSUER_PATH}/.well-known/openid-configuration`;
    asPublic(req, res, () => {});
  });
  router.use(
    BUILTIN_ISSUER_PATH,
    signInRoutes({
      provider: server.provider,
      options: deps.options,
      secretKey: deps.secretKey,
      verify: deps.verify,
      metrics: deps.metrics,
      ...(deps.failures ? { failures: deps.failures } : {}),
    }),
  );
  router.use(BUILTIN_ISSUER_PATH, asPublic);
  return router;
}
