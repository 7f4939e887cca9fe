import { WaygateError, type WaygateErrorClass } from "@waygate/errors";
import { type BridgeErrorCode, PluginError } from "../errors.js";

/** A bridge setting is missing or wrong; `variables` names the environment variables (or options) to fix. */
export class BridgeConfigError extends PluginError {
  static override readonly kind: string = "BridgeConfigError";
  declare readonly code: BridgeErrorCode;
  readonly variables: readonly string[];

  constructor(
    message: string,
    options: { variables: readonly string[]; code?: BridgeErrorCode; cause?: unknown },
  ) {
    super(
      options.code ?? "BRIDGE_CONFIG_INVALID",
      message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.variables = options.variables;
  }

  /**
   * True for a bridge settings error from any copy of the SDK (or a bridge, or a release from before
   * `@waygate/errors`), optionally with the given code. On `BridgeCredentialsError` it is true for that class only.
   */
  static override isInstance<T>(
    this: WaygateErrorClass<T>,
    value: unknown,
    code?: BridgeErrorCode,
  ): value is T {
    // biome-ignore lint/complexity/noThisInStatic: polymorphic on purpose, as in WaygateError
    if (this.kind !== BridgeConfigError.kind) return WaygateError.isInstance.call(this, value, code);
    if (!WaygateError.isInstance(value)) return false;
    const record = value as unknown as Record<string, unknown>;
    return (
      Array.isArray(record.variables) &&
      (code === undefined
        ? typeof record.code === "string" && record.code.startsWith("BRIDGE_")
        : record.code === code)
    );
  }
}

/** The credential an upstream needs is not configured; `variables` names where to put it. */
export class BridgeCredentialsError extends BridgeConfigError {
  static override readonly kind: string = "BridgeCredentialsError";
  constructor(message: string, variables: readonly string[]) {
    super(message, { variables, code: "BRIDGE_CREDENTIALS_MISSING" });
  }
}
