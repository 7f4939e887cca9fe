import type { Response } from "express";
import { jsonRpcErrorBody, restErrorBody, toPublicError } from "./error-mapping.js";
import { contextOf } from "./request-context.js";

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
  const body =
    context.errorStyle === "jsonrpc"
      ? jsonRpcErrorBody(mapped, context.requestId)
      : { ...restErrorBody(mapped, context.requestId), ...extra };
  res.status(mapped.status).json(body);
}
