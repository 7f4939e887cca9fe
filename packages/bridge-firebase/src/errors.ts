const ERROR_MARKER = Symbol.for("waygate.error");

/** Stable codes of the errors this bridge throws. */
export type BridgeErrorCode = "BRIDGE_CONFIG_INVALID" | "BRIDGE_CREDENTIALS_MISSING";

/** A bridge setting is missing or wrong; `variables` names the environment variables (or options) to fix. */
export class BridgeConfigError extends Error {
  readonly [ERROR_MARKER] = true;
  readonly code: BridgeErrorCode;
  readonly variables: readonly string[];

  constructor(
    message: string,
    options: { variables: readonly string[]; code?: BridgeErrorCode; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code ?? "BRIDGE_CONFIG_INVALID";
    this.variables = options.variables;
  }

  /** True for a bridge config error from any copy of this package, optionally with the given code. */
  static isInstance(value: unknown, code?: BridgeErrorCode): value is BridgeConfigError {
    if (typeof value !== "object" || value === null) return false;
    const record = value as Record<PropertyKey, unknown>;
    return (
      record[ERROR_MARKER] === true &&
      Array.isArray(record.variables) &&
      (code === undefined
        ? typeof record.code === "string" && record.code.startsWith("BRIDGE_")
        : record.code === code)
    );
  }
}

/** The credential the vendor's server needs is not configured. */
export class BridgeCredentialsError extends BridgeConfigError {
  constructor(message: string, variables: readonly string[]) {
    super(message, { variables, code: "BRIDGE_CREDENTIALS_MISSING" });
  }
}
