import { hasEnvReference } from "./secret-ref.js";
import type { UpstreamServer } from "./server-entry.js";

/** A variable an exported config file refers to instead of holding the stored secret. */
export interface ExportedVariable {
  name: string;
  server: string;
  /** `env.KEY` or `headers.NAME`. */
  field: string;
}

/** An `mcpServers` config file for the stored servers, and the variables it needs set. */
export interface ExportedConfig {
  file: { mcpServers: Record<string, Record<string, unknown>> };
  variables: ExportedVariable[];
}

const sortedEntries = (values: Record<string, string>) =>
  Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * The stored servers as a config file with a stable key order (servers by name, each entry's keys in one order,
 * env and header names sorted), so that two exports diff cleanly. Env and header values are the secrets stored
 * encrypted: each becomes a `${env:SERVER_KEY}` reference, never plaintext; a value that already holds a
 * `${env:…}` reference is kept as it is.
 */
export function exportServersAsConfig(servers: readonly UpstreamServer[]): ExportedConfig {
  const variables: ExportedVariable[] = [];
  const taken = new Set<string>();
  const reference = (server: string, field: string, key: string, value: string) => {
    if (hasEnvReference(value)) return value;
    const base = `${server}_${key}`
      .toUpperCase()
      .replace(/[^A-Z0-9_]/g, "_")
      .replace(/^(\d)/, "_$1");
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
    taken.add(name);
    variables.push({ name, server, field: `${field}.${key}` });
    return `\${env:${name}}`;
  };
  const secrets = (server: string, field: string, values: Record<string, string>) =>
    Object.fromEntries(
      sortedEntries(values).map(([key, value]) => [key, reference(server, field, key, value)]),
    );

  const mcpServers: Record<string, Record<string, unknown>> = {};
  for (const server of [...servers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const entry: Record<string, unknown> =
      server.transport === "stdio"
        ? {
            command: server.command,
            args: server.args,
            ...(Object.keys(server.env).length > 0 ? { env: secrets(server.name, "env", server.env) } : {}),
            ...(server.cwd === undefined ? {} : { cwd: server.cwd }),
          }
        : {
            type: server.transport,
            url: server.url,
            ...(Object.keys(server.headers).length > 0
              ? { headers: secrets(server.name, "headers", server.headers) }
              : {}),
          };
    if (!server.enabled) entry.disabled = true;
    mcpServers[server.name] = entry;
  }
  return { file: { mcpServers }, variables };
}
