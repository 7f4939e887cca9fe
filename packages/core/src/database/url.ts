import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { UnsupportedDatabaseUrlError } from "../errors.js";

/** Where Waygate keeps its database when no URL is given. */
export const DEFAULT_DATABASE_URL = "file:./data/waygate.db";

/** A database URL sorted into the three kinds Waygate supports. */
export type ParsedDatabaseUrl =
  | { kind: "memory"; clientUrl: string; displayUrl: string }
  | { kind: "file"; clientUrl: string; displayUrl: string; path: string }
  | { kind: "remote"; clientUrl: string; displayUrl: string; authToken: string | undefined };

const REMOTE_SCHEMES = new Set(["libsql:", "https:", "http:", "wss:", "ws:"]);
const SUPPORTED = "file:./path/to/waygate.db, :memory:, libsql://<db>.turso.io or https://<host>";

/** Classifies a `DATABASE_URL`, resolving relative `file:` paths against `cwd`. */
export function parseDatabaseUrl(url: string, cwd: string = process.cwd()): ParsedDatabaseUrl {
  const trimmed = url.trim();
  if (trimmed === "") {
    throw new UnsupportedDatabaseUrlError(`The database URL is empty; use one of: ${SUPPORTED}.`);
  }
  if (trimmed === ":memory:" || trimmed === "file::memory:") {
    return { kind: "memory", clientUrl: ":memory:", displayUrl: ":memory:" };
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === undefined || (scheme.length === 1 && /^[A-Za-z]:[\\/]/.test(trimmed))) {
    throw new UnsupportedDatabaseUrlError(
      `The database URL ${JSON.stringify(redactUrl(trimmed))} has no scheme; for a local file write "file:${trimmed}". Supported: ${SUPPORTED}.`,
    );
  }
  if (scheme === "file") return parseFileUrl(trimmed, cwd);
  if (REMOTE_SCHEMES.has(`${scheme}:`)) return parseRemoteUrl(trimmed);
  throw new UnsupportedDatabaseUrlError(
    `The database URL ${JSON.stringify(redactUrl(trimmed))} uses the unsupported scheme "${scheme}:"; use one of: ${SUPPORTED}.`,
  );
}

function parseFileUrl(url: string, cwd: string): ParsedDatabaseUrl {
  const rest = url.slice("file:".length).split(/[?#]/)[0] ?? "";
  let path: string;
  if (rest.startsWith("//")) {
    try {
      path = fileURLToPath(url.split(/[?#]/)[0] ?? url);
    } catch (cause) {
      throw new UnsupportedDatabaseUrlError(
        `The file URL ${JSON.stringify(url)} is not valid; write an absolute path as "file:///abs/path.db" or a relative one as "file:./path.db".`,
        { cause },
      );
    }
  } else {
    path = resolve(cwd, decodeURIComponent(rest));
  }
  if (rest === "" || path.endsWith("/")) {
    throw new UnsupportedDatabaseUrlError(
      `The file URL ${JSON.stringify(url)} does not name a file; write e.g. "file:./data/waygate.db".`,
    );
  }
  return { kind: "file", clientUrl: pathToFileURL(path).href, displayUrl: `file:${path}`, path };
}

function parseRemoteUrl(url: string): ParsedDatabaseUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new UnsupportedDatabaseUrlError(
      `The database URL ${JSON.stringify(redactUrl(url))} is not a valid URL; write e.g. "libsql://<db>-<org>.turso.io".`,
      { cause },
    );
  }
  if (parsed.hostname === "") {
    throw new UnsupportedDatabaseUrlError(
      `The database URL ${JSON.stringify(redactUrl(url))} has no host; write e.g. "libsql://<db>-<org>.turso.io".`,
    );
  }
  const authToken = parsed.searchParams.get("authToken") ?? undefined;
  parsed.searchParams.delete("authToken");
  return { kind: "remote", clientUrl: parsed.href, displayUrl: redactUrl(parsed.href), authToken };
}

/** Removes credentials (user info, `authToken`) from a URL so it can be shown or logged. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^/@?#]*@/, "//***@").replace(/([?&]authToken=)[^&#]*/i, "$1***");
}
