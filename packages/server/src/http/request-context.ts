import type { Request, Response } from "express";

/** Who is calling: the verified API key, or the anonymous caller when auth is `none`. */
export interface Caller {
  /** Null only when authentication is switched off. */
  keyId: string | null;
  keyName: string;
  scopes: readonly string[];
  toolPatterns: readonly string[] | null;
  rateLimitPerMinute: number | null;
  /** Set for an OAuth access token: who the issuer vouches for (the `keyId` is then `oauth:<subject>`, no key row). */
  principal?: OAuthPrincipal;
}

/**
 * How a refusal names the caller: "This API key", "This access token" (OAuth), or "This caller" (authentication off),
 * so that an OAuth client is not told about a key it never had.
 */
export function callerNoun(caller: Caller | undefined): string {
  if (caller?.principal) return "This access token";
  return caller?.keyId ? "This API key" : "This caller";
}

/** The subject and client of an OAuth access token. */
export interface OAuthPrincipal {
  issuer: string;
  subject: string;
  clientId: string | null;
  /** The token's own scopes (before mapping), for step-up challenges. */
  tokenScopes: readonly string[];
}

/** Per-request state the middleware chain fills in, kept on `res.locals`. */
export interface RequestContext {
  requestId: string;
  caller?: Caller;
  /** How responses to this request are shaped when a middleware refuses it. */
  errorStyle: "rest" | "jsonrpc";
  /**
   * Set when OAuth is configured: the `WWW-Authenticate` value for a 401 (no scope) or a 403 lacking `scope`, added
   * to those errors wherever they are sent.
   */
  challenge?: (error: { code: string; scope?: string; description?: string }) => string | undefined;
}

/** The request context, created by the request-id middleware. */
export function contextOf(res: Response): RequestContext {
  return res.locals as RequestContext;
}

/** The authenticated caller; only valid after the auth middleware ran. */
export function callerOf(res: Response): Caller {
  const caller = contextOf(res).caller;
  if (!caller) throw new Error("callerOf used on a route without the auth middleware");
  return caller;
}

/** Marks a route's refusals as JSON-RPC errors (MCP endpoints) instead of REST errors. */
export function useJsonRpcErrors(_req: Request, res: Response, next: () => void): void {
  contextOf(res).errorStyle = "jsonrpc";
  next();
}
