import type { Migration } from "./migration.js";

/**
 * Definition pinning: the approved hash of each tool, prompt and resource template of each server, and what the
 * server serves now when that differs (new, changed, removed), until an operator approves or rejects it.
 */
export const migration0004DefinitionPins: Migration = {
  version: 4,
  name: "definition-pins",
  statements: [
    `CREATE TABLE definition_pins (
      server TEXT NOT NULL,
      kind TEXT NOT NULL CHECK (kind IN ('tool', 'prompt', 'resource_template')),
      name TEXT NOT NULL,
      approved_hash TEXT,
      approved_definition TEXT,
      current_hash TEXT,
      current_definition TEXT,
      status TEXT NOT NULL CHECK (status IN ('approved', 'new', 'changed', 'removed', 'rejected')),
      first_seen_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      decided_at INTEGER,
      decided_by TEXT,
      PRIMARY KEY (server, kind, name)
    )`,
    "CREATE INDEX definition_pins_updated ON definition_pins (updated_at)",
  ],
};
