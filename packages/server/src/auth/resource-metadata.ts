import {
  buildOAuthProtectedResourceMetadata,
  getOAuthProtectedResourceMetadataUrl,
  type OAuthMetadata,
} from "@modelcontextprotocol/server";
import { type Request, type Response, Router } from "express";
import { ServerNameSchema } from "../options.js";
import type { OAuthOptions } from "./oauth-options.js";

const WELL_KNOWN = "/.well-known/oauth-protected-resource";

/**
 * The resource identifier (RFC 8707) a request path belongs to: each MCP endpoint is its own resource
 * (`<publicUrl>/mcp`, `<publicUrl>/servers/<name>/mcp`, `<publicUrl>/sse` with its `/messages`), and everything
 * else (REST, admin, metrics) is the gateway as a whole, `<publicUrl>/`.
 */
export function resourceOf(publicUrl: string, requestPath: string): URL {
  const base = new URL(publicUrl);
  // Express routes `/mcp/` to `/mcp`; both are the same resource.
  const path = requestPath.length > 1 ? requestPath.replace(/\/+$/, "") : requestPath;
  if (path === "/mcp" || path === "/sse") return new URL(path, base);
  if (path === "/messages") return new URL("/sse", base);
  const single = /^\/servers\/([^/]+)\/mcp$/.exec(path);
  if (single) return new URL(`/servers/${single[1]}/mcp`, base);
  return base;
}

/** Where the metadata of a request path's resource is served (RFC 9728 path-suffixed form). */
export function resourceMetadataUrlOf(publicUrl: string, path: string): string {
  return getOAuthProtectedResourceMetadataUrl(resourceOf(publicUrl, path));
}

/** The audiences a token presented on `path` may carry: the path's resource, the whole gateway's, or a configured one. */
export function acceptedAudiences(options: OAuthOptions, path: string): string[] {
  const resource = resourceOf(options.publicUrl, path).href;
  const root = new URL(options.publicUrl).href;
  // `https://gw.example.com/` and `https://gw.example.com` name the same resource; issuers write either.
  return [...new Set([resource, root, root.replace(/\/$/, ""), ...options.audiences])];
}

/** The token scopes a client should ask for: every one the scope map knows. */
export function supportedScopes(options: OAuthOptions): string[] {
  return Object.keys(options.scopes);
}

/**
 * Serves the RFC 9728 Protected Resource Metadata: the gateway's at `/.well-known/oauth-protected-resource`, and
 * path-suffixed for `/mcp`, `/sse` and each `/servers/<name>/mcp`. Each document names its own resource and the one
 * authorization server (the SDK builds it, and refuses a non-https issuer off loopback).
 */
export function resourceMetadataRoutes(options: OAuthOptions): Router {
  const router = Router();
  const send = (resourcePath: string) => (_req: Request, res: Response) => {
    const document = buildOAuthProtectedResourceMetadata({
      // Only `issuer` is read; the rest of the issuer's metadata is the client's to discover from it.
      oauthMetadata: { issuer: options.issuer } as OAuthMetadata,
      resourceServerUrl: resourceOf(options.publicUrl, resourcePath),
      scopesSupported: supportedScopes(options),
      resourceName: options.resourceName,
    });
    res.set("Access-Control-Allow-Origin", "*");
    res.set("Cache-Control", "public, max-age=300");
    res.json({ ...document, bearer_methods_supported: ["header"] });
  };
  // Browser clients (the MCP Inspector) read these from any origin, with an MCP-Protocol-Version header: a preflight.
  router.options([WELL_KNOWN, `${WELL_KNOWN}/*rest`], (req, res) => {
    res.set("Access-Control-Allow-Origin", "*");
    res.set("Access-Control-Allow-Methods", "GET, OPTIONS");
    const headers = req.header("access-control-request-headers");
    if (headers) res.set({ "Access-Control-Allow-Headers": headers, Vary: "Access-Control-Request-Headers" });
    res.status(204).end();
  });
  router.get(WELL_KNOWN, send("/"));
  router.get(`${WELL_KNOWN}/mcp`, send("/mcp"));
  router.get(`${WELL_KNOWN}/sse`, send("/sse"));
  router.get(`${WELL_KNOWN}/servers/:name/mcp`, (req, res, next) => {
    const name = ServerNameSchema.safeParse(req.params.name);
    if (!name.success) return next();
    send(`/servers/${name.data}/mcp`)(req, res);
  });
  return router;
}

/** A quoted-string for an HTTP auth parameter (RFC 9110): backslash and quote escaped, non-printables replaced. */
function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, "\\$&").replace(/[^\u0020-\u007e]/g, " ")}"`;
}

/** What a `WWW-Authenticate: Bearer` challenge says (RFC 6750 §3, RFC 9728 §5.1). */
export interface Challenge {
  resourceMetadata: string;
  /** Absent when the request carried no credentials (RFC 6750 §3.1). */
  error?: "invalid_token" | "insufficient_scope";
  description?: string;
  scope?: readonly string[];
}

/** The `WWW-Authenticate` header value of a challenge. */
export function bearerChallenge(challenge: Challenge): string {
  const params = [`resource_metadata=${quoted(challenge.resourceMetadata)}`];
  if (challenge.error) params.push(`error=${quoted(challenge.error)}`);
  if (challenge.description) params.push(`error_description=${quoted(challenge.description)}`);
  if (challenge.scope && challenge.scope.length > 0)
    params.push(`scope=${quoted(challenge.scope.join(" "))}`);
  return `Bearer ${params.join(", ")}`;
}
