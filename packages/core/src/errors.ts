import { WaygateError, type WaygateErrorOptions } from "@waygate/errors";

// The root every Waygate package shares lives in @waygate/errors; core re-exports it as before.
export { WaygateError };

/** Stable machine-readable codes carried by every error `@waygate/core` throws. */
export type CoreErrorCode =
  | "DATABASE_ERROR"
  | "DATABASE_URL_UNSUPPORTED"
  | "DATABASE_UNREACHABLE"
  | "DATABASE_AUTH_FAILED"
  | "DATABASE_LOCKED"
  | "DATABASE_CORRUPT"
  | "DATABASE_READ_ONLY"
  | "DATABASE_FULL"
  | "MIGRATION_FAILED"
  | "SCHEMA_TOO_NEW"
  | "SCHEMA_TOO_OLD"
  | "INVALID_INPUT"
  | "CONFIG_INVALID"
  | "SECRET_KEY_INVALID"
  | "NOT_FOUND"
  | "ALREADY_EXISTS"
  | "AUDIT_WRITER_CLOSED"
  | "AUDIT_WRITE_FAILED"
  | "EGRESS_REFUSED"
  | "SECRET_UNREADABLE";

type ErrorOptions = WaygateErrorOptions;

/** A database could not be opened, read or written. */
export class DatabaseError extends WaygateError {
  static override readonly kind: string = "DatabaseError";
  constructor(message: string, options?: ErrorOptions & { code?: CoreErrorCode }) {
    super(options?.code ?? "DATABASE_ERROR", message, options);
  }
}

/** The database URL has a scheme Waygate cannot use. */
export class UnsupportedDatabaseUrlError extends DatabaseError {
  static override readonly kind: string = "UnsupportedDatabaseUrlError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, { ...options, code: "DATABASE_URL_UNSUPPORTED" });
  }
}

/** A remote (Turso / sqld) database did not answer. */
export class DatabaseUnreachableError extends DatabaseError {
  static override readonly kind: string = "DatabaseUnreachableError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, { ...options, code: "DATABASE_UNREACHABLE" });
  }
}

/** A remote database refused the auth token. */
export class DatabaseAuthError extends DatabaseError {
  static override readonly kind: string = "DatabaseAuthError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, { ...options, code: "DATABASE_AUTH_FAILED" });
  }
}

/** Another connection held the database lock for longer than the busy timeout. */
export class DatabaseLockedError extends DatabaseError {
  static override readonly kind: string = "DatabaseLockedError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, { ...options, code: "DATABASE_LOCKED" });
  }
}

/** The file is not a SQLite database or is damaged. */
export class DatabaseCorruptError extends DatabaseError {
  static override readonly kind: string = "DatabaseCorruptError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, { ...options, code: "DATABASE_CORRUPT" });
  }
}

/** The database file or its folder cannot be written. */
export class DatabaseReadOnlyError extends DatabaseError {
  static override readonly kind: string = "DatabaseReadOnlyError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, { ...options, code: "DATABASE_READ_ONLY" });
  }
}

/** The disk (or filesystem) holding the database is full, so no write can commit. */
export class DatabaseFullError extends DatabaseError {
  static override readonly kind: string = "DatabaseFullError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, { ...options, code: "DATABASE_FULL" });
  }
}

/** A schema migration failed; the transaction it ran in was rolled back. */
export class MigrationError extends WaygateError {
  static override readonly kind: string = "MigrationError";
  constructor(message: string, options?: ErrorOptions & { code?: CoreErrorCode }) {
    super(options?.code ?? "MIGRATION_FAILED", message, options);
  }
}

/** The database was migrated by a newer `@waygate/core` than this one. */
export class SchemaTooNewError extends MigrationError {
  static override readonly kind: string = "SchemaTooNewError";
  readonly databaseVersion: number;
  readonly supportedVersion: number;
  constructor(databaseVersion: number, supportedVersion: number) {
    super(
      `The database schema is at version ${databaseVersion}, but this @waygate/core only knows versions up to ${supportedVersion}. ` +
        "Upgrade @waygate/core (or the Waygate gateway) to a release that supports this schema; the database was left unchanged.",
      { code: "SCHEMA_TOO_NEW" },
    );
    this.databaseVersion = databaseVersion;
    this.supportedVersion = supportedVersion;
  }
}

/** The database has not been migrated far enough for what was asked (e.g. the audit chain needs migration 3). */
export class SchemaTooOldError extends MigrationError {
  static override readonly kind: string = "SchemaTooOldError";
  readonly databaseVersion: number;
  readonly neededVersion: number;
  constructor(databaseVersion: number, neededVersion: number, what: string, migrationName: string) {
    super(
      `The database schema is at version ${databaseVersion}; ${what} needs migration ${neededVersion} (${migrationName}). ` +
        "Run `waygate migrate` (or `migrate(db)` from @waygate/core) and try again.",
      { code: "SCHEMA_TOO_OLD" },
    );
    this.databaseVersion = databaseVersion;
    this.neededVersion = neededVersion;
  }
}

/** One problem found while validating input, with the path of the offending field. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** Input to a core function was invalid; `issues` lists every problem found. */
export class InvalidInputError extends WaygateError {
  static override readonly kind: string = "InvalidInputError";
  readonly issues: readonly ValidationIssue[];
  constructor(
    message: string,
    issues: readonly ValidationIssue[] = [],
    options?: ErrorOptions & { code?: CoreErrorCode },
  ) {
    super(options?.code ?? "INVALID_INPUT", message, options);
    this.issues = issues;
  }
}

/** A config value (setting or MCP server config) does not match its schema. */
export class ConfigValidationError extends InvalidInputError {
  static override readonly kind: string = "ConfigValidationError";
  constructor(message: string, issues: readonly ValidationIssue[] = [], options?: ErrorOptions) {
    super(message, issues, { ...options, code: "CONFIG_INVALID" });
  }
}

/** `WAYGATE_SECRET_KEY` is missing or too weak to key API-key hashes. */
export class SecretKeyError extends WaygateError {
  static override readonly kind: string = "SecretKeyError";
  constructor(message: string) {
    super("SECRET_KEY_INVALID", message);
  }
}

/** A record that was asked for by id or name does not exist. */
export class NotFoundError extends WaygateError {
  static override readonly kind: string = "NotFoundError";
  constructor(message: string) {
    super("NOT_FOUND", message);
  }
}

/** A record with the same unique name already exists. */
export class AlreadyExistsError extends WaygateError {
  static override readonly kind: string = "AlreadyExistsError";
  constructor(message: string, options?: ErrorOptions) {
    super("ALREADY_EXISTS", message, options);
  }
}

/** `record()` was called on an audit writer that is closing or closed. */
export class AuditWriterClosedError extends WaygateError {
  static override readonly kind: string = "AuditWriterClosedError";
  constructor() {
    super(
      "AUDIT_WRITER_CLOSED",
      "The audit writer is closed; create a new one with createAuditWriter() to record more rows.",
    );
  }
}

/** Audit rows could not be committed; `failed` says how many. */
export class AuditWriteError extends WaygateError {
  static override readonly kind: string = "AuditWriteError";
  readonly failed: number;
  constructor(failed: number, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super("AUDIT_WRITE_FAILED", `${failed} audit row(s) could not be written: ${reason}`, { cause });
    this.failed = failed;
  }
}

/** An upstream address is in a network the egress policy refuses (loopback, private, link-local, …). */
export class EgressRefusedError extends WaygateError {
  static override readonly kind: string = "EgressRefusedError";
  /** The refused address and its class (e.g. `loopback`), for callers that map the refusal to a status. */
  readonly address: string;
  readonly addressClass: string;
  constructor(message: string, details: { address: string; addressClass: string }, options?: ErrorOptions) {
    super("EGRESS_REFUSED", message, options);
    this.address = details.address;
    this.addressClass = details.addressClass;
  }
}

/** A stored secret cannot be decrypted with the current `WAYGATE_SECRET_KEY` (another key stored it, or it was edited). */
export class SecretUnreadableError extends WaygateError {
  static override readonly kind: string = "SecretUnreadableError";
  constructor(message: string, options?: ErrorOptions) {
    super("SECRET_UNREADABLE", message, options);
  }
}
