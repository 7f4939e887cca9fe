import type { Migration } from "./migration.js";

/**
 * The audit records who an OAuth access token named: `command_history.principal` holds the token's subject and
 * client id as JSON (an OAuth caller has no `api_keys` row for `key_id` to reference). Null for API keys.
 */
export const migration0005AuditPrincipal: Migration = {
  version: 5,
  name: "audit-principal",
  statements: ["ALTER TABLE command_history ADD COLUMN principal TEXT"],
};
