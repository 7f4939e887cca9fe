import type { Migration } from "./migration.js";

/**
 * The plugin registry and metrics history become live. `plugins` gains load and error counts and the gateway
 * instance that reported last; `plugin_instances` keeps each replica's own view of each plugin (its live state,
 * error and counts), so replicas see each other's plugin status. Metric roll-ups carry their instance as a label;
 * the index serves history queries by name and time.
 */
export const migration0008LiveRegistry: Migration = {
  version: 8,
  name: "live-registry",
  statements: [
    "ALTER TABLE plugins ADD COLUMN load_count INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE plugins ADD COLUMN error_count INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE plugins ADD COLUMN instance_id TEXT",
    `CREATE TABLE plugin_instances (
      name TEXT NOT NULL REFERENCES plugins (name) ON DELETE CASCADE,
      instance_id TEXT NOT NULL,
      state TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('registered', 'loaded', 'failed', 'disabled')),
      last_error TEXT,
      loaded_at INTEGER,
      load_count INTEGER NOT NULL DEFAULT 0,
      error_count INTEGER NOT NULL DEFAULT 0,
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (name, instance_id)
    )`,
  ],
};
