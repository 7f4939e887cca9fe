import { isWaygateError, WaygateError, type WaygateErrorClass } from "@waygate/errors";

/** Set by releases from before `@waygate/errors` too, so `CliError.isInstance` still knows their errors. */
const cliMarker = Symbol.for("waygate.cli-error");

/** Stable codes of the errors the CLI raises; each maps to one exit code (see `exitCodeFor`). */
export type CliErrorCode = "usage" | "config_invalid" | "not_found" | "conflict" | "unhealthy" | "failed";

/** One problem found in the configuration: where it is, what is wrong, and how to fix it. */
export interface ConfigIssue {
  /** Environment variable name (`WAYGATE_PORT`) or config file path (`mcpServers.github.command`). */
  path: string;
  message: string;
  fix: string;
}

/** Base class of the CLI's errors: a `WaygateError` with a stable `code`, a message a person can act on, and a `cause`. */
export class CliError extends WaygateError {
  static override readonly kind: string = "CliError";
  /** `CliError.isInstance` also knows errors of releases from before `@waygate/errors` by this marker. */
  static override readonly legacyMarker: symbol = cliMarker;
  readonly [cliMarker] = true;
  declare readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** The environment or the config file is invalid; `issues` lists every problem with its path and a fix. */
export class ConfigError extends CliError {
  static override readonly kind: string = "ConfigError";
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: { cause?: unknown; source?: string }) {
    const head = options?.source ? `Invalid configuration in ${options.source}:` : "Invalid configuration:";
    const lines = issues.map((issue) => `  - ${issue.path}: ${issue.message}\n    fix: ${issue.fix}`);
    super("config_invalid", [head, ...lines].join("\n"), options);
    this.issues = issues;
  }

  /** True for a ConfigError from any copy of the package. */
  static override isInstance<T>(this: WaygateErrorClass<T>, value: unknown, code?: CliErrorCode): value is T {
    return (
      CliError.isInstance(value, code) &&
      (value as { code: unknown }).code === "config_invalid" &&
      "issues" in (value as object)
    );
  }
}

/** Exit codes of the `waygate` command, documented in the README. */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  config_invalid: 3,
  not_found: 4,
  conflict: 5,
  unhealthy: 6,
} as const;

/** Exit codes for the stable codes of @waygate/core's errors. */
const CORE_EXIT_CODES: Readonly<Record<string, number>> = {
  NOT_FOUND: ExitCode.not_found,
  ALREADY_EXISTS: ExitCode.conflict,
  INVALID_INPUT: ExitCode.usage,
  CONFIG_INVALID: ExitCode.config_invalid,
  SECRET_KEY_INVALID: ExitCode.config_invalid,
  SECRET_UNREADABLE: ExitCode.config_invalid,
  DATABASE_URL_UNSUPPORTED: ExitCode.config_invalid,
  // @waygate/server's GatewayOptionsError.
  invalid_options: ExitCode.config_invalid,
};

/** True for an error of any Waygate package (they share one root, `WaygateError` from `@waygate/errors`). */
export { isWaygateError };

/** The process exit code for an error thrown by a command. */
export function exitCodeFor(error: unknown): number {
  if (CliError.isInstance(error)) return ExitCode[error.code];
  if (isWaygateError(error)) return CORE_EXIT_CODES[error.code] ?? ExitCode.failed;
  return ExitCode.failed;
}
