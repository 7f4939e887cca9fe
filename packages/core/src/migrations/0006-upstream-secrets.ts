import type { Migration } from "./migration.js";

/**
 * Upstream secrets (env and header values of `mcp_servers`) are stored encrypted, each row with the id of the key
 * that encrypted it. Rows written before (still in clear) keep a NULL key id until a process holding
 * `WAYGATE_SECRET_KEY` encrypts them (`mcpServers.sealStoredSecrets()`, run at every gateway start and by
 * `waygate migrate`): SQL alone cannot encrypt without the key.
 */
export const migration0006UpstreamSecrets: Migration = {
  version: 6,
  name: "upstream-secrets",
  statements: ["ALTER TABLE mcp_servers ADD COLUMN secrets_key_id TEXT"],
};
