import cors from "cors";
import type { Request, RequestHandler } from "express";
import helmet from "helmet";
import { GatewayError } from "../errors/errors.js";
import { sendError } from "../errors/send-error.js";
import { isLoopbackHost } from "../options.js";

/** helmet with defaults suited to a JSON API (no CSP needed for JSON, but harmless). */
export function securityHeaders(): RequestHandler {
  return helmet();
}

/** CORS limited to the configured origins; MCP headers are exposed so browser clients can keep sessions. */
export function corsAllowlist(origins: readonly string[]): RequestHandler {
  return cors({
    origin: origins.length === 0 ? false : [...origins],
    credentials: false,
    allowedHeaders: [
      "Authorization",
      "X-API-Key",
      "Content-Type",
      "Accept",
      "Mcp-Session-Id",
      "Mcp-Protocol-Version",
      "Last-Event-ID",
      "X-Request-Id",
    ],
    exposedHeaders: [
      "Mcp-Session-Id",
      "X-Request-Id",
      "RateLimit",
      "RateLimit-Policy",
      "Retry-After",
      "WWW-Authenticate",
    ],
    methods: ["GET", "POST", "DELETE", "OPTIONS"],
  });
}

/** Settings of the Host/Origin check that protects every route from DNS rebinding. */
export interface RebindingGuardOptions {
  bindHost: string;
  allowedHosts: readonly string[];
  corsOrigins: readonly string[];
  /** With `none`, requests carry no credential a rebound page lacks, so only loopback Host values are served. */
  auth: "required" | "none";
  production: boolean;
}

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]", "::1"];

/** True when the Host check is active: when hosts are configured or the gateway listens on loopback. */
export function hostCheckEnabled(options: Pick<RebindingGuardOptions, "bindHost" | "allowedHosts">): boolean {
  return options.allowedHosts.length > 0 || isLoopbackHost(options.bindHost);
}

/** The Host/Origin check: a middleware for every route, and the Host test alone for routes that skip it. */
export interface RebindingGuard {
  middleware: RequestHandler;
  /** True when the request's Host header names this gateway (or the check is off). */
  hostAllowed(req: Request): boolean;
}

/** Refuses requests whose Host is not ours or whose Origin is not allowed (403 in the route's error style). */
export function dnsRebindingGuard(options: RebindingGuardOptions): RebindingGuard {
  const loopbackOnly = options.auth === "none";
  const hosts = new Set(LOOPBACK_NAMES);
  if (!loopbackOnly) {
    for (const host of options.allowedHosts) hosts.add(host.toLowerCase());
    if (!isLoopbackHost(options.bindHost) && options.bindHost !== "0.0.0.0" && options.bindHost !== "::") {
      hosts.add(options.bindHost.toLowerCase());
    }
  }
  const checkHost = loopbackOnly || hostCheckEnabled(options);
  const origins = new Set(options.corsOrigins);
  const hostAllowed = (req: Request) => {
    if (!checkHost) return true;
    const hostname = hostnameOf(req.headers.host);
    return hostname !== undefined && hosts.has(hostname);
  };
  const hostFix = loopbackOnly
    ? "with auth 'none' only loopback names (localhost, 127.0.0.1, [::1]) are accepted; use auth 'required' to serve other names"
    : "add it to allowedHosts (gateway.allowedHosts in the config file)";
  const middleware: RequestHandler = (req, res, next) => {
    if (!hostAllowed(req)) {
      return sendError(
        res,
        new GatewayError(
          "forbidden",
          `Host header '${req.headers.host ?? ""}' is not allowed${loopbackOnly ? ":" : ";"} ${hostFix}`,
        ),
        options.production,
      );
    }
    const origin = req.headers.origin;
    if (
      origin !== undefined &&
      !origins.has(origin) &&
      !isLoopbackOrigin(origin, options.bindHost) &&
      // Same origin counts only for a Host this gateway knows (checked above), never for whatever Host was sent.
      !(checkHost && isSameOrigin(origin, req.headers.host))
    ) {
      return sendError(
        res,
        new GatewayError(
          "forbidden",
          `Origin '${origin}' is not allowed; add it to corsOrigins (CORS_ORIGINS)`,
        ),
        options.production,
      );
    }
    next();
  };
  return { middleware, hostAllowed };
}

function hostnameOf(hostHeader: string | undefined): string | undefined {
  if (!hostHeader) return undefined;
  try {
    return new URL(`http://${hostHeader}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/** Loopback origins (local tools such as the MCP Inspector) are accepted only when we listen on loopback. */
function isLoopbackOrigin(origin: string, bindHost: string): boolean {
  if (!isLoopbackHost(bindHost)) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === "http:" || url.protocol === "https:") && isLoopbackHost(url.hostname);
  } catch {
    return false;
  }
}

/** The console's own pages call the gateway from its origin: an Origin whose host is the request's Host. */
function isSameOrigin(origin: string, hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === "http:" || url.protocol === "https:") && url.host === hostHeader.toLowerCase();
  } catch {
    return false;
  }
}
