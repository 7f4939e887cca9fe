import { resolve } from "node:path";
import { z } from "zod";
import { type ConfigWarning, normaliseServerEntries } from "../../config/entry-keys.js";
import { toConfigIssues } from "../../config/issues.js";
import { readJsonFile } from "../../config/read-json.js";
import {
  ServerEntrySchema,
  ServerNameSchema,
  toUpstreamServer,
  type UpstreamServer,
} from "../../config/server-entry.js";
import { CliError, ConfigError } from "../../errors.js";
import type { CommandContext } from "../context.js";
import { withStore } from "../with-store.js";

const serversRecord = z.record(ServerNameSchema, ServerEntrySchema);

/** A client config file: Claude Desktop and Cursor write `mcpServers`, VS Code writes `servers`. */
const ClientConfigSchema = z
  .object({ mcpServers: serversRecord.optional(), servers: serversRecord.optional() })
  .refine((file) => file.mcpServers !== undefined || file.servers !== undefined, {
    error: "the file has neither an `mcpServers` nor a `servers` object",
  });

/**
 * Reads a client config file and returns its servers, or throws a ConfigError listing every problem. Keys of
 * other clients are mapped or, when Waygate has no use for them, named in `warnings`.
 */
export async function readClientServers(
  path: string,
  warnings: ConfigWarning[] = [],
): Promise<UpstreamServer[]> {
  const raw = normaliseServerEntries(await readJsonFile(path, path), warnings);
  const parsed = ClientConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(toConfigIssues(parsed.error, ""), { source: path });
  const entries = [
    ...Object.entries(parsed.data.mcpServers ?? {}),
    ...Object.entries(parsed.data.servers ?? {}),
  ];
  const seen = new Set<string>();
  const duplicates = entries.filter(([name]) => seen.has(name) || !seen.add(name)).map(([name]) => name);
  if (duplicates.length > 0) {
    throw new ConfigError(
      duplicates.map((name) => ({
        path: `servers.${name}`,
        message: `server "${name}" appears in both mcpServers and servers`,
        fix: "keep only one of them",
      })),
      { source: path },
    );
  }
  return entries.map(([name, entry]) => toUpstreamServer(name, entry));
}

/**
 * Imports every server of a client config file in one transaction. A name already stored is a conflict
 * (nothing is imported) unless `replace` is set.
 */
export async function importServersFromFile(
  context: CommandContext,
  file: string,
  replace: boolean,
): Promise<UpstreamServer[]> {
  const warnings: ConfigWarning[] = [];
  const servers = await readClientServers(resolve(context.io.cwd, file), warnings);
  for (const warning of warnings)
    context.output.progress(`warning: ${file}: ${warning.path} ${warning.message}`);
  if (servers.length === 0) throw new CliError("usage", `${file} declares no servers`);
  await withStore(context, async (store) => {
    if (!replace) {
      const stored = new Set((await store.listServers()).map((server) => server.name));
      const clashes = servers.filter((server) => stored.has(server.name)).map((server) => server.name);
      if (clashes.length > 0) {
        throw new CliError(
          "conflict",
          `already stored: ${clashes.join(", ")}. Nothing was imported; rerun with --replace to overwrite them, or remove them first`,
        );
      }
    }
    await store.addServers(servers, replace);
  });
  return servers;
}
