import type { RequestHandler } from "express";
import { ForbiddenError } from "../errors/errors.js";
import { sendError } from "../errors/send-error.js";
import { contextOf } from "../http/request-context.js";
import { METHOD_RULES, type MethodRule } from "../policy/authorize.js";
import { requestsOf } from "../policy/request-messages.js";
import { hasScope } from "../policy/scopes.js";

/**
 * For an OAuth caller, answers an MCP POST whose JSON-RPC request needs a scope the token does not grant with HTTP
 * 403 and an `insufficient_scope` challenge, so that the client can re-authorise with that scope (step-up). Inside an
 * MCP response the policy's refusal would be a JSON-RPC error that no client's OAuth layer sees. The policy itself still
 * decides every request; this only reads its method table. API-key callers are left to the policy.
 */
export function scopeStepUp(
  production: boolean,
  onRefused: (
    req: Parameters<RequestHandler>[0],
    res: Parameters<RequestHandler>[1],
    error: ForbiddenError,
  ) => Promise<void>,
): RequestHandler {
  return async (req, res, next) => {
    const caller = contextOf(res).caller;
    if (req.method !== "POST" || !caller?.principal) return next();
    for (const request of requestsOf(req.body)) {
      const rule = (METHOD_RULES as Record<string, MethodRule>)[request.method];
      if (rule?.scope && !hasScope(caller.scopes, rule.scope)) {
        const error = new ForbiddenError(
          `This access token lacks the '${rule.scope}' scope for ${request.method}`,
          {
            scope: rule.scope,
          },
        );
        try {
          await onRefused(req, res, error);
        } catch {
          // The 403 stands even when its audit row could not be written.
        }
        return sendError(res, error, production);
      }
    }
    next();
  };
}
