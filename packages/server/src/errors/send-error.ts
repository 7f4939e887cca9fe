import type { Response } from "express";
import { contextOf, type RequestContext } from "../http/request-context.js";
import { jsonRpcErrorBody, restErrorBody, toPublicError } from "./error-mapping.js";
import { GatewayError } from "./errors.js";

/**
 * Sends an error in the route's style (REST or JSON-RPC) with the mapped status; never leaks a stack. `extra` adds
 * fields beside `error` in a REST body (such as the current definition of a stale approval).
 */
export function sendError(
  res: Response,
  error: unknown,
  production: boolean,
  extra?: Record<string, unknown>,
): void {
  if (res.headersSent) return;
  const mapped = toPublicError(error, production);
  const context = contextOf(res);
  const challenge = challengeOf(context, error, mapped.code);
  if (challenge) res.setHeader("WWW-Authenticate", challenge);
  const body =
    context.errorStyle === "jsonrpc"
      ? jsonRpcErrorBody(mapped, context.requestId)
      : { ...restErrorBody(mapped, context.requestId), ...extra };
  res.status(mapped.status).json(body);
}

/** With OAuth on: a 401 gets a bearer challenge, a 403 for a missing scope a step-up (`insufficient_scope`) one. */
function challengeOf(context: RequestContext, error: unknown, code: string): string | undefined {
  if (!context.challenge) return undefined;
  if (code === "unauthenticated") {
    const details = GatewayError.isInstance(error) ? error.details : undefined;
    return context.challenge({
      code,
      ...(details?.oauth === "invalid_token" ? { description: (error as Error).message } : {}),
    });
  }
  const scope = GatewayError.isInstance(error) ? error.details?.scope : undefined;
  if (code === "forbidden" && typeof scope === "string") {
    return context.challenge({ code, scope, description: (error as Error).message });
  }
  return undefined;
}
