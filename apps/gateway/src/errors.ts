const marker = Symbol.for("waygate.error");
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

/** Base class of the CLI's errors: a stable `code`, a message a person can act on, and a `cause`. */
export class CliError extends Error {
  readonly [marker] = true;
  readonly [cliMarker] = true;
  readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CliError";
    this.code = code;
  }

  /** True for any Waygate CLI error, even one created by another copy of the package. */
  static isInstance(value: unknown): value is CliError {
    return (
      typeof value === "object" &&
      value !== null &&
      (value as Record<symbol, unknown>)[cliMarker] === true &&
      typeof (value as { code?: unknown }).code === "string"
    );
  }
}

/** The environment or the config file is invalid; `issues` lists every problem with its path and a fix. */
export class ConfigError extends CliError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: { cause?: unknown; source?: string }) {
    const head = options?.source ? `Invalid configuration in ${options.source}:` : "Invalid configuration:";
    const lines = issues.map((issue) => `  - ${issue.path}: ${issue.message}\n    fix: ${issue.fix}`);
    super("config_invalid", [head, ...lines].join("\n"), options);
    this.name = "ConfigError";
    this.issues = issues;
  }

  /** True for a ConfigError from any copy of the package. */
  static override isInstance(value: unknown): value is ConfigError {
    return CliError.isInstance(value) && value.code === "config_invalid" && "issues" in value;
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

/** True for an error of any Waygate package (they share a marker symbol). */
export function isWaygateError(value: unknown): value is Error & { code: string } {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
}

/** The process exit code for an error thrown by a command. */
export function exitCodeFor(error: unknown): number {
  if (CliError.isInstance(error)) return ExitCode[error.code];
  if (isWaygateError(error)) return CORE_EXIT_CODES[error.code] ?? ExitCode.failed;
  return ExitCode.failed;
}
