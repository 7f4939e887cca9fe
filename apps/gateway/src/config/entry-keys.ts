/** A key of a config file entry that Waygate ignores or rewrote, said once at load. */
export interface ConfigWarning {
  /** Where the key is, e.g. `mcpServers.github.timeout`. */
  path: string;
  message: string;
}

/** The keys a server entry of Waygate's own shape has (stdio and remote together). */
const KNOWN_KEYS = new Set([
  "type",
  "command",
  "args",
  "env",
  "cwd",
  "url",
  "headers",
  "disabled",
  "connectTimeoutMs",
  "requestTimeoutMs",
]);

/** Other clients' names for Waygate's keys, rewritten before validation. */
const RENAMED: Record<string, { to: string; client: string }> = {
  serverUrl: { to: "url", client: "Windsurf" },
  httpUrl: { to: "url", client: "Gemini CLI" },
  transportType: { to: "type", client: "Cline" },
};

/** Other clients' keys with no Waygate equivalent per server, and what to use instead. */
const IGNORED: Record<string, string> = {
  timeout:
    "is a per-server timeout (Cline counts seconds, Gemini CLI milliseconds); ignored: set requestTimeoutMs (milliseconds) on the entry instead",
  autoApprove:
    "is a client's approval list (Cline); in Waygate an API key's tool patterns decide what may be called (`waygate keys create --tools`)",
  alwaysAllow:
    "is a client's approval list (Roo Code); in Waygate an API key's tool patterns decide what may be called (`waygate keys create --tools`)",
  trust:
    "skips a client's confirmations (Gemini CLI); in Waygate an API key's tool patterns decide what may be called",
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Rewrites other clients' key names in one server entry (`serverUrl` → `url`, …) and reports every key Waygate
 * does not use, naming it, so that a setting copied from another client is never dropped silently.
 */
export function normaliseServerEntry(entry: unknown, path: string, warnings: ConfigWarning[]): unknown {
  if (!isRecord(entry)) return entry;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry)) {
    const renamed = RENAMED[key];
    if (KNOWN_KEYS.has(key)) {
      out[key] = value;
    } else if (renamed && !(renamed.to in entry)) {
      out[renamed.to] = value;
      // Gemini CLI's httpUrl is a Streamable HTTP server; its `url` means SSE, which Waygate reads from `type`.
      if (key === "httpUrl" && !("type" in entry)) out.type = "http";
    } else if (renamed) {
      warnings.push({
        path: `${path}.${key}`,
        message: `is ${renamed.client}'s name for "${renamed.to}", which the entry also sets; ignored`,
      });
    } else {
      warnings.push({
        path: `${path}.${key}`,
        message:
          IGNORED[key] ?? `is not a server setting Waygate knows (${[...KNOWN_KEYS].join(", ")}); ignored`,
      });
    }
  }
  return out;
}

/** Applies {@link normaliseServerEntry} to every entry of `mcpServers` and `servers` in a parsed JSON file. */
export function normaliseServerEntries(file: unknown, warnings: ConfigWarning[]): unknown {
  if (!isRecord(file)) return file;
  const out = { ...file };
  for (const section of ["mcpServers", "servers"] as const) {
    const servers = file[section];
    if (!isRecord(servers)) continue;
    out[section] = Object.fromEntries(
      Object.entries(servers).map(([name, entry]) => [
        name,
        normaliseServerEntry(entry, `${section}.${name}`, warnings),
      ]),
    );
  }
  return out;
}
