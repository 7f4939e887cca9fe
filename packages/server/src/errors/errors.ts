import { WaygateError } from "@waygate/errors";

/** Set by releases from before `@waygate/errors` too, so `GatewayError.isInstance` still knows their errors. */
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

/**
 * Base class of every error the gateway raises; a `WaygateError` (from `@waygate/errors`) with a stable `code` and a
 * message a person can act on. `GatewayError.isInstance(value, code?)` knows them across copies of this package;
 * on a subclass (`ForbiddenError.isInstance`) it is true for that class only.
 */
export class GatewayError extends WaygateError {
  static override readonly kind: string = "GatewayError";
  /** `GatewayError.isInstance` also knows errors of releases from before `@waygate/errors` by this marker. */
  static override readonly legacyMarker: symbol = serverMarker;
  readonly [serverMarker] = true;
  declare readonly code: GatewayErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: GatewayErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.details = options?.details;
  }
}

/** createGateway was given options that do not validate; the message lists every problem by path. */
export class GatewayOptionsError extends GatewayError {
  static override readonly kind: string = "GatewayOptionsError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("invalid_options", message, options);
  }
}

/** The caller sent no API key, or one that is malformed, unknown, revoked or expired. */
export class AuthError extends GatewayError {
  static override readonly kind: string = "AuthError";
  constructor(message: string, details?: Record<string, unknown>) {
    super("unauthenticated", message, details === undefined ? undefined : { details });
  }
}

/** The caller is authenticated but lacks the scope or tool pattern the request needs. */
export class ForbiddenError extends GatewayError {
  static override readonly kind: string = "ForbiddenError";
  constructor(message: string, details?: Record<string, unknown>) {
    super("forbidden", message, details === undefined ? undefined : { details });
  }
}

/** A tool or server name the router does not know. */
export class NotFoundError extends GatewayError {
  static override readonly kind: string = "GatewayNotFoundError";
  constructor(code: "not_found" | "unknown_tool" | "unknown_server", message: string) {
    super(code, message);
    // Its kind is unique across Waygate packages (core and the plugin SDK have a NotFoundError too); its name is not.
    this.name = "NotFoundError";
  }
}

/** The request body or parameters are invalid. */
export class BadRequestError extends GatewayError {
  static override readonly kind: string = "BadRequestError";
  constructor(message: string, details?: Record<string, unknown>) {
    super("bad_request", message, details === undefined ? undefined : { details });
  }
}

/** An upstream or plugin could not serve the call (down, slow or failing). */
export class UpstreamError extends GatewayError {
  static override readonly kind: string = "UpstreamError";
  constructor(
    code: "upstream_unavailable" | "upstream_timeout" | "upstream_error",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** A tool call's audit row could not be committed, so its result is withheld (or the call refused before it ran). */
export class AuditUnavailableError extends GatewayError {
  static override readonly kind: string = "AuditUnavailableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("audit_unavailable", message, options);
  }
}
