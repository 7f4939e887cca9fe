import { WaygateError, type WaygateErrorClass, type WaygateErrorOptions } from "@waygate/errors";

/** Stable machine-readable codes carried by every error this SDK throws. */
export type PluginErrorCode =
  | "PLUGIN_INVALID"
  | "PLUGIN_CONFIG_INVALID"
  | "PLUGIN_HOST_VERSION_UNSUPPORTED"
  | "PLUGIN_LOAD_FAILED"
  | "PLUGIN_NOT_READY"
  | "TOOL_NAME_INVALID"
  | "TOOL_NOT_FOUND"
  | "RESOURCE_NOT_FOUND"
  | "PROMPT_NOT_FOUND"
  | "UPSTREAM_TIMEOUT"
  | "UPSTREAM_CLOSED"
  | "UPSTREAM_PROTOCOL"
  | "UPSTREAM_UNAVAILABLE"
  | "UPSTREAM_MESSAGE_TOO_LARGE"
  | "UPSTREAM_REFUSED"
  | "CLIENT_REQUEST_UNAVAILABLE"
  | "CLIENT_CAPABILITY_REQUIRED"
  | "CALL_CANCELLED"
  | "RESOURCE_SUBSCRIBE_UNSUPPORTED"
  | BridgeErrorCode;

/** Codes of the settings errors a bridge throws before it starts its upstream. */
export type BridgeErrorCode = "BRIDGE_CONFIG_INVALID" | "BRIDGE_CREDENTIALS_MISSING";

/**
 * Base class of every error thrown by the plugin SDK; a `WaygateError` (from `@waygate/errors`), recognised across
 * package copies by a marker.
 */
export class PluginError extends WaygateError {
  static override readonly kind: string = "PluginError";
  declare readonly code: PluginErrorCode;

  constructor(code: PluginErrorCode, message: string, options?: WaygateErrorOptions) {
    super(code, message, options);
  }

  /**
   * `PluginError.isInstance` is true for any Waygate error (from this or another copy of the SDK, or from another
   * Waygate package), optionally with the given code: the SDK passes every Waygate error through as it is, whichever
   * package raised it. On a subclass (`UpstreamTimeoutError.isInstance`) it is true for that class only.
   */
  static override isInstance<T>(
    this: WaygateErrorClass<T>,
    value: unknown,
    code?: PluginErrorCode,
  ): value is T {
    // biome-ignore lint/complexity/noThisInStatic: polymorphic on purpose, as in WaygateError
    if (this.kind === PluginError.kind) return WaygateError.isInstance(value, code);
    // biome-ignore lint/complexity/noThisInStatic: polymorphic on purpose, as in WaygateError
    return WaygateError.isInstance.call(this, value, code);
  }
}

/** A plugin's shape or metadata is wrong (missing name, bad version, not a plugin at all). */
export class PluginInvalidError extends PluginError {
  static override readonly kind: string = "PluginInvalidError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("PLUGIN_INVALID", message, options);
  }
}

/** The config given to a plugin does not match the plugin's zod schema. */
export class PluginConfigError extends PluginError {
  static override readonly kind: string = "PluginConfigError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("PLUGIN_CONFIG_INVALID", message, options);
  }
}

/** The host's version is outside the range a plugin declares it supports. */
export class HostVersionError extends PluginError {
  static override readonly kind: string = "HostVersionError";
  constructor(message: string) {
    super("PLUGIN_HOST_VERSION_UNSUPPORTED", message);
  }
}

/** A plugin module could not be found, imported or constructed. */
export class PluginLoadError extends PluginError {
  static override readonly kind: string = "PluginLoadError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("PLUGIN_LOAD_FAILED", message, options);
  }
}

/** A tool name does not match `^[a-zA-Z0-9_-]{1,64}$` or is declared twice. */
export class ToolNameError extends PluginError {
  static override readonly kind: string = "ToolNameError";
  constructor(message: string) {
    super("TOOL_NAME_INVALID", message);
  }
}

/** A tool, resource or prompt that the plugin does not have was asked for. */
export class NotFoundError extends PluginError {
  static override readonly kind: string = "PluginNotFoundError";
  constructor(code: "TOOL_NOT_FOUND" | "RESOURCE_NOT_FOUND" | "PROMPT_NOT_FOUND", message: string) {
    super(code, message);
    // Its kind is unique across Waygate packages (core and the server have a NotFoundError too); its name is not.
    this.name = "NotFoundError";
  }
}

/** An upstream MCP server did not answer in time. */
export class UpstreamTimeoutError extends PluginError {
  static override readonly kind: string = "UpstreamTimeoutError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("UPSTREAM_TIMEOUT", message, options);
  }
}

/** The connection to an upstream MCP server closed (process exited, socket dropped). */
export class UpstreamClosedError extends PluginError {
  static override readonly kind: string = "UpstreamClosedError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("UPSTREAM_CLOSED", message, options);
  }
}

/** An upstream MCP server broke the protocol (non-JSON output, malformed messages). */
export class UpstreamProtocolError extends PluginError {
  static override readonly kind: string = "UpstreamProtocolError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("UPSTREAM_PROTOCOL", message, options);
  }
}

/** An upstream MCP server sent a message bigger than the configured cap. */
export class UpstreamMessageTooLargeError extends PluginError {
  static override readonly kind: string = "UpstreamMessageTooLargeError";
  constructor(message: string) {
    super("UPSTREAM_MESSAGE_TOO_LARGE", message);
  }
}

/** An upstream MCP server is not connected (restarting or given up on). */
export class UpstreamUnavailableError extends PluginError {
  static override readonly kind: string = "UpstreamUnavailableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("UPSTREAM_UNAVAILABLE", message, options);
  }
}

/** The host refused the server found at an upstream's address (e.g. the gateway itself); not retried at once. */
export class UpstreamRefusedError extends PluginError {
  static override readonly kind: string = "UpstreamRefusedError";
  constructor(message: string) {
    super("UPSTREAM_REFUSED", message);
  }
}

/**
 * The upstream refused a request because the calling client did not declare a capability it needs (a 2026-07-28
 * server answers -32021); a host passes the refusal on to its client as the same error.
 */
export class ClientCapabilityRequiredError extends PluginError {
  static override readonly kind: string = "ClientCapabilityRequiredError";
  readonly requiredCapabilities: Record<string, unknown>;

  constructor(message: string, requiredCapabilities: Record<string, unknown>, options?: { cause?: unknown }) {
    super("CLIENT_CAPABILITY_REQUIRED", message, options);
    this.requiredCapabilities = requiredCapabilities;
  }
}

/** A call was cancelled by its caller before it finished. */
export class CallCancelledError extends PluginError {
  static override readonly kind: string = "CallCancelledError";
  constructor(message: string) {
    super("CALL_CANCELLED", message);
  }
}

/** Returns the message of any thrown value, for logs and error results. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === "string" ? error : JSON.stringify(error);
}
