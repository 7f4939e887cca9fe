import type { Request, Response } from "express";

/** Who is calling: the verified API key, or the anonymous caller when auth is `none`. */
export interface Caller {
  /** Null only when authentication is switched off. */
  keyId: string | null;
  keyName: string;
  scopes: readonly string[];
  toolPatterns: readonly string[] | null;
  rateLimitPerMinute: number | null;
}

/** Per-request state the middleware chain fills in, kept on `res.locals`. */
export interface RequestContext {
  requestId: string;
  caller?: Caller;
  /** How responses to this request are shaped when a middleware refuses it. */
  errorStyle: "rest" | "jsonrpc";
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
