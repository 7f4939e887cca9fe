import {
  declarationOfEntry,
  type McpServerDeclaration,
  type McpServerEntryInput,
  McpServerEntrySchema,
} from "@waygate/core/server-config";
import { McpServerNameSchema } from "@waygate/core/server-name";

// An upstream's config has one schema, core's: the config file, `servers add`, `servers import` and the admin API
// all validate with it. These names are the CLI's public ones for the same things.

/** What a server name must look like (it prefixes its tools as `<server>__<tool>`): core's one rule. */
export const ServerNameSchema = McpServerNameSchema;

/**
 * One entry of an `mcpServers` object as Claude Desktop, Cursor and VS Code write it: `command`/`args`/`env`
 * for a local server, or `url`/`headers` (with an optional `type`) for a remote one. Other keys are ignored here;
 * `normaliseServerEntry` maps other clients' names first and names each ignored key in a warning.
 */
export const ServerEntrySchema = McpServerEntrySchema;

/** A server entry as written in a client's config file. */
export type ServerEntry = McpServerEntryInput;

/** An upstream MCP server in core's config shape, with the timeouts it sets (a stored server has both). */
export type UpstreamServer = McpServerDeclaration;

/** Turns a validated client-style entry into the gateway's upstream shape. */
export const toUpstreamServer = declarationOfEntry;

export { timeoutsOf } from "@waygate/core/server-config";
