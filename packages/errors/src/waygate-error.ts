/** Set on every Waygate error by every package (and by older releases of each): "this is a Waygate error". */
const ERROR_MARKER = Symbol.for("waygate.error");
/** The `kind` of the error's class and of each class above it, so `isInstance` needs no shared prototype. */
const ERROR_KINDS = Symbol.for("waygate.error.kinds");

/** What `isInstance` reads of the class it is called on. */
export interface WaygateErrorClass<T> {
  readonly kind: string;
  readonly legacyMarker?: symbol | undefined;
  prototype: T;
}

/** Options every Waygate error accepts. */
export interface WaygateErrorOptions {
  /** The error (or value) that caused this one. */
  cause?: unknown;
}

/**
 * Root of every error a Waygate package throws: a stable string `code`, a message that names the fix, a `cause`,
 * and `isInstance`, which recognises the class and its subclasses by marker across package copies (two installed
 * copies, or the ESM and CommonJS builds of one) where `instanceof` would not.
 */
export class WaygateError extends Error {
  /**
   * The class's name for `isInstance` and `name`, unique across Waygate packages. A subclass sets its own; one
   * that does not is recognised as its parent.
   */
  static readonly kind: string = "WaygateError";
  /**
   * The symbol a package marked its errors with before `@waygate/errors` (e.g. the server's), if it did. Set on the
   * class that used it: its `isInstance` then also knows errors of those older copies, which carry no kinds.
   */
  static readonly legacyMarker: symbol | undefined = undefined;
  readonly [ERROR_MARKER] = true;
  readonly [ERROR_KINDS]: readonly string[];
  /** Stable machine-readable code; messages may change, codes do not. */
  readonly code: string;

  constructor(code: string, message: string, options?: WaygateErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = (new.target as { kind?: string }).kind ?? "WaygateError";
    this.code = code;
    this[ERROR_KINDS] = kindsOf(new.target);
  }

  /**
   * True when `value` is an error of this class or a subclass, even from another copy of the package that defines
   * it; with `code`, only when its code is that one. `WaygateError.isInstance` is true for an error of any Waygate
   * package. Call it on the class (`DatabaseError.isInstance(err)`), not detached.
   */
  static isInstance<T>(this: WaygateErrorClass<T>, value: unknown, code?: string): value is T {
    // `this` is the class isInstance was called on, so each subclass checks for its own kind.
    // biome-ignore lint/complexity/noThisInStatic: polymorphic on purpose
    const kind = this.kind;
    // biome-ignore lint/complexity/noThisInStatic: polymorphic on purpose
    const legacy = Object.hasOwn(this, "legacyMarker") ? this.legacyMarker : undefined;
    if (typeof value !== "object" || value === null) return false;
    const record = value as Record<symbol, unknown> & { code?: unknown };
    if (typeof record.code !== "string" || (code !== undefined && record.code !== code)) return false;
    if (legacy !== undefined && record[legacy] === true) return true;
    if (record[ERROR_MARKER] !== true) return false;
    if (kind === "WaygateError") return true;
    const kinds = record[ERROR_KINDS];
    return Array.isArray(kinds) && kinds.includes(kind);
  }
}

/**
 * True for an error of any Waygate package, including releases from before `@waygate/errors` (which carry the
 * marker but not the class kinds). What the host maps by `code` (exit codes, HTTP statuses) checks with this.
 */
export function isWaygateError(value: unknown): value is Error & { readonly code: string } {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<symbol, unknown>)[ERROR_MARKER] === true &&
    typeof (value as { code?: unknown }).code === "string"
  );
}

function kindsOf(target: unknown): string[] {
  const kinds: string[] = [];
  let current = target as { kind?: unknown } | null;
  while (current && typeof current.kind === "string") {
    if (!kinds.includes(current.kind)) kinds.push(current.kind);
    current = Object.getPrototypeOf(current) as { kind?: unknown } | null;
  }
  return kinds;
}
