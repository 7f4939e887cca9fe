const marker = Symbol.for("waygate.error");
const serverMarker = Symbol.for("waygate.server.error");

/** Stable codes of the errors the gateway raises; each maps to one HTTP status and JSON-RPC code. */
export type GatewayErrorCode =
  | "invalid_options"
  | "unauthenticated"
  | "forbidden"
  | "rate_limited"
  | "rate_limit_unavailable"
  | "bad_request"
  | "parse_error"
  | "unsupported_media_type"
  | "payload_too_large"
  | "headers_too_large"
  | "request_timeout"
  | "not_found"
  | "unknown_tool"
  | "unknown_server"
  | "conflict"
  | "pending_approval"
  | "upstream_unavailable"
  | "upstream_timeout"
  | "upstream_error"
  | "audit_unavailable"
  | "database_unavailable"
  | "issuer_unavailable"
  | "shutting_down"
  | "overloaded"
  | "internal";

/** Base class of every error the gateway raises; carries a stable `code` and a message a person can act on. */
export class GatewayError extends Error {
  readonly [marker] = true;
  readonly [serverMarker] = true;
  readonly code: GatewayErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: GatewayErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "GatewayError";
    this.code = code;
    this.details = options?.details;
  }

  /** True for an error raised by the gateway, even one created by another copy of this package. */
  static isInstance(value: unknown): value is GatewayError {
    return (
      typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[serverMarker] === true
    );
  }
}

/** createGateway was given options that do not validate; the message lists every problem by path. */
export class GatewayOptionsError extends GatewayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("invalid_options", message, options);
    this.name = "GatewayOptionsError";
  }
}

/** The caller sent no API key, or one that is malformed, unknown, revoked or expired. */
export class AuthError extends GatewayError {
  constructor(message: string, details?: Record<string, unknown>) {
    super("unauthenticated", message, details === undefined ? undefined : { details });
    this.name = "AuthError";
  }
}

/** The caller is authenticated but lacks the scope or tool pattern the request needs. */
export class ForbiddenError extends GatewayError {
  constructor(message: string, details?: Record<string, unknown>) {
    super("forbidden", message, details === undefined ? undefined : { details });
    this.name = "ForbiddenError";
  }
}

/** A tool or server name the router does not know. */
export class NotFoundError extends GatewayError {
  constructor(code: "not_found" | "unknown_tool" | "unknown_server", message: string) {
    super(code, message);
    this.name = "NotFoundError";
  }
}

/** The request body or parameters are invalid. */
export class BadRequestError extends GatewayError {
  constructor(message: string, details?: Record<string, unknown>) {
    super("bad_request", message, details === undefined ? undefined : { details });
    this.name = "BadRequestError";
  }
}

/** An upstream or plugin could not serve the call (down, slow or failing). */
export class UpstreamError extends GatewayError {
  constructor(
    code: "upstream_unavailable" | "upstream_timeout" | "upstream_error",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = "UpstreamError";
  }
}

/** A tool call's audit row could not be committed, so its result is withheld (or the call refused before it ran). */
export class AuditUnavailableError extends GatewayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("audit_unavailable", message, options);
    this.name = "AuditUnavailableError";
  }
}
