import type { Migration } from "./migration.js";

/**
 * Every MCP method is audited, not only tools/call: `command_history.method` says which one a row records. Rows
 * written before it were all tool calls.
 */
export const migration0002AuditMethod: Migration = {
  version: 2,
  name: "audit-method",
  statements: ["ALTER TABLE command_history ADD COLUMN method TEXT NOT NULL DEFAULT 'tools/call'"],
};
