import type { Request, Response } from "express";
import type { GatewayError } from "../errors/errors.js";
import { type Caller, contextOf } from "../http/request-context.js";
import type { CallPolicy, RefusedCall } from "../policy/call-policy.js";
import { type BodyRequest, requestsOf } from "../policy/request-messages.js";

/** `method` of the audit row of a refused request that carried no JSON-RPC request (a GET, a REST call). */
export const AUTHENTICATE_METHOD = "authenticate";

/**
 * Writes one audit row per refused request of an HTTP request, with its transport (MCP or REST, from the route) and
 * view (one server's endpoint, or the aggregate): the shared end of every refusal that happens before the policy.
 */
export async function auditRefusedRequests(
  policy: CallPolicy,
  req: Request,
  res: Response,
  requests: readonly BodyRequest[],
  refusal: { outcome: RefusedCall["outcome"]; error: string },
  caller: Caller | undefined = contextOf(res).caller,
): Promise<void> {
  const context = contextOf(res);
  const name = typeof req.params?.name === "string" ? req.params.name : undefined;
  const view = name ? { kind: "single" as const, server: name } : { kind: "aggregate" as const };
  const transport = context.errorStyle === "jsonrpc" ? "mcp" : "rest";
  for (const request of requests) {
    await policy.recordRefused({
      caller,
      requestId: context.requestId,
      transport,
      view,
      method: request.method,
      name: request.name,
      arguments: request.arguments,
      ...refusal,
    });
  }
}

/**
 * Audits a request refused by authentication (a bad access token, a revoked or expired API key, then with `keyId`)
 * or by a step-up scope check: one `denied` row per JSON-RPC request of the body (or one `authenticate` row), with
 * the reason, and never the token.
 */
export function auditRefusal(policy: CallPolicy) {
  return async (req: Request, res: Response, error: GatewayError, keyId?: string): Promise<void> => {
    const reason = error.details?.reason;
    const what = error.code === "unauthenticated" ? "authentication failed" : "refused";
    const message = `${what}${typeof reason === "string" ? ` (${reason})` : ""}: ${error.message}`;
    const requests = requestsOf(req.body);
    const rows =
      requests.length > 0 ? requests : [{ method: AUTHENTICATE_METHOD, name: null, arguments: undefined }];
    const caller = keyId
      ? { keyId, keyName: keyId, scopes: [], toolPatterns: null, rateLimitPerMinute: null }
      : contextOf(res).caller;
    await auditRefusedRequests(policy, req, res, rows, { outcome: "denied", error: message }, caller);
  };
}
