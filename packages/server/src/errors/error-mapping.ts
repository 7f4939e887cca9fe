import { MissingRequiredClientCapabilityError, ProtocolError } from "@modelcontextprotocol/server";
import { type ClientCapabilityRequiredError, PluginError } from "@waygate/plugin-sdk";
import { RelayedMappedError } from "../mcp/round-relay.js";
import { GatewayError, type GatewayErrorCode } from "./errors.js";
import { normalizeError } from "./foreign-errors.js";

const httpStatusByCode: Record<GatewayErrorCode, number> = {
  invalid_options: 500,
  unauthenticated: 401,
  forbidden: 403,
  rate_limited: 429,
  rate_limit_unavailable: 503,
  bad_request: 400,
  parse_error: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  headers_too_large: 431,
  request_timeout: 408,
  not_found: 404,
  unknown_tool: 404,
  unknown_server: 404,
  conflict: 409,
  pending_approval: 409,
  upstream_unavailable: 503,
  upstream_timeout: 504,
  upstream_error: 502,
  audit_unavailable: 503,
  database_unavailable: 503,
  issuer_unavailable: 503,
  shutting_down: 503,
  overloaded: 503,
  internal: 500,
};

/**
 * JSON-RPC error codes: standard ones where they fit, else the gateway's own range -32000..-32019 (the MCP
 * specification reserves -32020..-32099 for its own errors, such as a header/body mismatch).
 */
const jsonRpcCodeByCode: Record<GatewayErrorCode, number> = {
  invalid_options: -32603,
  unauthenticated: -32001,
  forbidden: -32003,
  rate_limited: -32012,
  rate_limit_unavailable: -32002,
  bad_request: -32602,
  parse_error: -32700,
  unsupported_media_type: -32600,
  payload_too_large: -32600,
  headers_too_large: -32600,
  request_timeout: -32600,
  not_found: -32602,
  unknown_tool: -32602,
  unknown_server: -32602,
  conflict: -32009,
  pending_approval: -32013,
  upstream_unavailable: -32002,
  upstream_timeout: -32008,
  upstream_error: -32603,
  audit_unavailable: -32010,
  database_unavailable: -32011,
  issuer_unavailable: -32002,
  shutting_down: -32002,
  overloaded: -32002,
  internal: -32603,
};

/** What a client sees of an error: never a stack, and no internal message in production. */
export interface PublicError {
  status: number;
  jsonRpcCode: number;
  code: GatewayErrorCode;
  message: string;
}

/** Maps any thrown value to the status, JSON-RPC code and message a client may see. */
export function toPublicError(thrown: unknown, production: boolean): PublicError {
  const error = normalizeError(thrown);
  if (GatewayError.isInstance(error)) {
    const code = error.code;
    return {
      status: httpStatusByCode[code],
      jsonRpcCode: jsonRpcCodeByCode[code],
      code,
      message: error.message,
    };
  }
  const message =
    !production && error instanceof Error ? `Internal error: ${error.message}` : "Internal server error";
  return { status: 500, jsonRpcCode: -32603, code: "internal", message };
}

/** HTTP status for a gateway error code. */
export function httpStatusFor(code: GatewayErrorCode): number {
  return httpStatusByCode[code];
}

/** JSON-RPC error code for a gateway error code. */
export function jsonRpcCodeFor(code: GatewayErrorCode): number {
  return jsonRpcCodeByCode[code];
}

/** Body of a REST error response. */
export function restErrorBody(error: PublicError, requestId: string | undefined) {
  return { error: { code: error.code, message: error.message, requestId } };
}

/** Body of a JSON-RPC error response sent outside the SDK (auth, limits, body parsing). */
export function jsonRpcErrorBody(error: PublicError, requestId: string | undefined, id: unknown = null) {
  return {
    jsonrpc: "2.0" as const,
    error: { code: error.jsonRpcCode, message: error.message, data: { code: error.code, requestId } },
    id: id ?? null,
  };
}

/**
 * The error an MCP handler throws for the SDK to send as a JSON-RPC error: the gateway's code, message and `data`
 * (`code`, `requestId`, then `details`). An SDK protocol error passes through; an upstream's -32021 reaches the
 * client as the same error, naming what the client lacks.
 */
/**
 * Whether {@link toProtocolError} gives `thrown` the gateway's own error body (a `code`, the request id and details in
 * `data`) rather than passing on the protocol error it already is.
 */
export const mapsToGatewayError = (thrown: unknown): boolean =>
  !(thrown instanceof ProtocolError) && !PluginError.isInstance(thrown, "CLIENT_CAPABILITY_REQUIRED");

export function toProtocolError(
  thrown: unknown,
  requestId: string | undefined,
  production: boolean,
  details?: Record<string, unknown>,
): ProtocolError {
  if (thrown instanceof RelayedMappedError)
    return new ProtocolError(thrown.code, thrown.message, {
      ...(thrown.data as Record<string, unknown> | undefined),
      ...(requestId ? { requestId } : {}),
      ...details,
    });
  if (thrown instanceof ProtocolError) return thrown;
  if (PluginError.isInstance(thrown, "CLIENT_CAPABILITY_REQUIRED")) {
    const { requiredCapabilities } = thrown as ClientCapabilityRequiredError;
    return new MissingRequiredClientCapabilityError({ requiredCapabilities }, thrown.message);
  }
  const mapped = toPublicError(thrown, production);
  return new ProtocolError(mapped.jsonRpcCode, mapped.message, {
    code: mapped.code,
    ...(requestId ? { requestId } : {}),
    ...details,
  });
}
