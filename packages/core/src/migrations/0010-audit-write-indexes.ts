import type { Migration } from "./migration.js";

/**
 * Cheaper audit commits: every index on `command_history` dirties a page of its own in each commit. The outcome index
 * now holds only the rows that are not `ok` (an `ok` filter is no narrower than the time index, and most rows are
 * `ok`), and the request-id index goes (a request id is random, so each row dirtied a random page of it; a request-id
 * filter now reads the rows of the time window it is given).
 */
export const migration0010AuditWriteIndexes: Migration = {
  version: 10,
  name: "audit-write-indexes",
  statements: [
    "DROP INDEX command_history_request",
    "DROP INDEX command_history_outcome_at",
    "CREATE INDEX command_history_outcome_at ON command_history (outcome, at) WHERE outcome <> 'ok'",
  ],
};
