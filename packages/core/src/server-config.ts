// Every export of this file is public API of @waygate/core/server-config: an upstream's config in its two shapes
// (stored, and the `mcpServers` entry), without the database driver, for the CLI's config loading.
export {
  type McpServerConfig,
  type McpServerConfigInput,
  McpServerConfigSchema,
} from "./mcp-server-config.js";
export {
  declarationOfEntry,
  entryOfDeclaration,
  type McpServerDeclaration,
  type McpServerEntry,
  type McpServerEntryInput,
  McpServerEntrySchema,
  timeoutsOf,
} from "./mcp-server-entry.js";
