import { isWaygateError } from "@waygate/errors";
import { GatewayError, type GatewayErrorCode } from "./errors.js";

/** Codes of @waygate/plugin-sdk and @waygate/core errors, mapped onto the gateway's codes. */
const foreignCodes: Record<string, GatewayErrorCode> = {
  TOOL_NOT_FOUND: "unknown_tool",
  RESOURCE_NOT_FOUND: "not_found",
  PROMPT_NOT_FOUND: "not_found",
  NOT_FOUND: "not_found",
  UPSTREAM_TIMEOUT: "upstream_timeout",
  UPSTREAM_CLOSED: "upstream_unavailable",
  UPSTREAM_UNAVAILABLE: "upstream_unavailable",
  PLUGIN_NOT_READY: "upstream_unavailable",
  UPSTREAM_PROTOCOL: "upstream_error",
  UPSTREAM_MESSAGE_TOO_LARGE: "upstream_error",
  UPSTREAM_REFUSED: "upstream_unavailable",
  CLIENT_REQUEST_UNAVAILABLE: "upstream_error",
  CALL_CANCELLED: "upstream_error",
  INVALID_INPUT: "bad_request",
  CONFIG_INVALID: "bad_request",
  PLUGIN_CONFIG_INVALID: "bad_request",
  ALREADY_EXISTS: "conflict",
  DATABASE_ERROR: "database_unavailable",
  DATABASE_UNREACHABLE: "database_unavailable",
  DATABASE_AUTH_FAILED: "database_unavailable",
  DATABASE_LOCKED: "database_unavailable",
  DATABASE_CORRUPT: "database_unavailable",
  DATABASE_READ_ONLY: "database_unavailable",
  DATABASE_FULL: "database_unavailable",
  AUDIT_WRITE_FAILED: "audit_unavailable",
  AUDIT_WRITER_CLOSED: "audit_unavailable",
  EGRESS_REFUSED: "forbidden",
};

/** Turns errors from core and the plugin SDK into gateway errors with the matching code; others pass through. */
export function normalizeError(error: unknown): unknown {
  if (GatewayError.isInstance(error)) return error;
  if (!isWaygateError(error)) return error;
  const code = foreignCodes[error.code];
  if (!code) return error;
  return new GatewayError(code, error.message, { cause: error });
}
