import type { Migration } from "./migration.js";

/** The seven tables of the design, with indexes shaped for their queries. */
export const migration0001Init: Migration = {
  version: 1,
  name: "init",
  statements: [
    `CREATE TABLE config (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL,
      type TEXT NOT NULL CHECK (type IN ('string', 'number', 'boolean', 'json')),
      description TEXT,
      updated_at INTEGER NOT NULL
    )`,
    `CREATE TABLE api_keys (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      prefix TEXT NOT NULL UNIQUE,
      key_hash TEXT NOT NULL,
      scopes TEXT NOT NULL DEFAULT '[]',
      tool_patterns TEXT NOT NULL DEFAULT '["*"]',
      rate_limit_per_minute INTEGER CHECK (rate_limit_per_minute IS NULL OR rate_limit_per_minute > 0),
      created_at INTEGER NOT NULL,
      expires_at INTEGER,
      revoked_at INTEGER,
      last_used_at INTEGER
    )`,
    "CREATE INDEX api_keys_created_at ON api_keys (created_at)",
    `CREATE TABLE plugins (
      name TEXT PRIMARY KEY,
      source TEXT NOT NULL,
      version TEXT,
      enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
      status TEXT NOT NULL DEFAULT 'registered'
        CHECK (status IN ('registered', 'loaded', 'failed', 'disabled')),
      last_error TEXT,
      loaded_at INTEGER,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`,
    `CREATE TABLE command_history (
      id INTEGER PRIMARY KEY,
      request_id TEXT NOT NULL,
      key_id TEXT REFERENCES api_keys (id) ON DELETE SET NULL,
      server TEXT,
      tool TEXT,
      transport TEXT NOT NULL CHECK (transport IN ('mcp', 'rest')),
      arguments TEXT,
      outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'error', 'denied', 'rate_limited', 'timeout')),
      error TEXT,
      duration_ms REAL NOT NULL,
      at INTEGER NOT NULL
    )`,
    "CREATE INDEX command_history_at ON command_history (at)",
    "CREATE INDEX command_history_key_at ON command_history (key_id, at)",
    "CREATE INDEX command_history_tool_at ON command_history (tool, at)",
    "CREATE INDEX command_history_server_at ON command_history (server, at)",
    "CREATE INDEX command_history_outcome_at ON command_history (outcome, at)",
    "CREATE INDEX command_history_request ON command_history (request_id)",
    `CREATE TABLE metrics (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      labels TEXT NOT NULL DEFAULT '{}',
      value REAL NOT NULL,
      at INTEGER NOT NULL
    )`,
    "CREATE INDEX metrics_name_at ON metrics (name, at)",
    "CREATE INDEX metrics_at ON metrics (at)",
    `CREATE TABLE system_events (
      id INTEGER PRIMARY KEY,
      level TEXT NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
      type TEXT NOT NULL,
      message TEXT NOT NULL,
      details TEXT,
      at INTEGER NOT NULL
    )`,
    "CREATE INDEX system_events_at ON system_events (at)",
    "CREATE INDEX system_events_type_at ON system_events (type, at)",
    "CREATE INDEX system_events_level_at ON system_events (level, at)",
    `CREATE TABLE mcp_servers (
      name TEXT PRIMARY KEY,
      transport TEXT NOT NULL CHECK (transport IN ('stdio', 'http', 'sse')),
      command TEXT,
      args TEXT NOT NULL DEFAULT '[]',
      env TEXT NOT NULL DEFAULT '{}',
      cwd TEXT,
      url TEXT,
      headers TEXT NOT NULL DEFAULT '{}',
      enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
      connect_timeout_ms INTEGER NOT NULL,
      request_timeout_ms INTEGER NOT NULL,
      status TEXT NOT NULL DEFAULT 'unknown',
      last_error TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      CHECK ((transport = 'stdio' AND command IS NOT NULL) OR (transport IN ('http', 'sse') AND url IS NOT NULL))
    )`,
  ],
};
