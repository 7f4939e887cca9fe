import cors from "cors";
import type { RequestHandler } from "express";
import helmet from "helmet";
import { GatewayError } from "./errors.js";
import { isLoopbackHost } from "./options.js";
import { sendError } from "./send-error.js";

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
    exposedHeaders: ["Mcp-Session-Id", "X-Request-Id", "RateLimit", "RateLimit-Policy", "Retry-After"],
    methods: ["GET", "POST", "DELETE", "OPTIONS"],
  });
}

/** Settings of the Host/Origin check that protects MCP endpoints from DNS rebinding. */
export interface RebindingGuardOptions {
  bindHost: string;
  allowedHosts: readonly string[];
  corsOrigins: readonly string[];
  production: boolean;
}

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]", "::1"];

/** True when the Host check is active: when hosts are configured or the gateway listens on loopback. */
export function hostCheckEnabled(options: Pick<RebindingGuardOptions, "bindHost" | "allowedHosts">): boolean {
  return options.allowedHosts.length > 0 || isLoopbackHost(options.bindHost);
}

/** Refuses MCP requests whose Host is not ours or whose Origin is not allowed (403, JSON-RPC body). */
export function dnsRebindingGuard(options: RebindingGuardOptions): RequestHandler {
  const hosts = new Set([...LOOPBACK_NAMES, ...options.allowedHosts.map((h) => h.toLowerCase())]);
  if (!isLoopbackHost(options.bindHost) && options.bindHost !== "0.0.0.0" && options.bindHost !== "::") {
    hosts.add(options.bindHost.toLowerCase());
  }
  const checkHost = hostCheckEnabled(options);
  const origins = new Set(options.corsOrigins);
  return (req, res, next) => {
    if (checkHost) {
      const hostname = hostnameOf(req.headers.host);
      if (!hostname || !hosts.has(hostname)) {
        return sendError(
          res,
          new GatewayError(
            "forbidden",
            `Host header '${req.headers.host ?? ""}' is not allowed; add it to allowedHosts (WAYGATE_ALLOWED_HOSTS)`,
          ),
          options.production,
        );
      }
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !origins.has(origin) && !isLoopbackOrigin(origin, options.bindHost)) {
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
