import type { Migration } from "./migration.js";

/**
 * Tamper-evident audit: each `command_history` row written from now on carries `chain`, an HMAC over the previous
 * row's chain and its own content (see audit/audit-chain). Rows written before it stay unchained (NULL).
 */
export const migration0003AuditChain: Migration = {
  version: 3,
  name: "audit-chain",
  statements: ["ALTER TABLE command_history ADD COLUMN chain TEXT"],
};
