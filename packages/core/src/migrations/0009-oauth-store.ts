import type { Migration } from "./migration.js";

/**
 * The built-in OAuth authorization server's state (registered clients, authorization codes, refresh tokens, grants,
 * sessions, interactions), shared by restarts and replicas. Each row is keyed by a hash of its id (a refresh token's
 * id is the token), and its payload is sealed with `WAYGATE_SECRET_KEY`; `grant_id` lets a revocation find every
 * token of a grant, `uid` a session by its uid.
 */
export const migration0009OAuthStore: Migration = {
  version: 9,
  name: "oauth-store",
  statements: [
    `CREATE TABLE oauth_store (
      model TEXT NOT NULL,
      id_hash TEXT NOT NULL,
      payload TEXT NOT NULL,
      grant_id TEXT,
      uid TEXT,
      user_code TEXT,
      expires_at INTEGER,
      consumed_at INTEGER,
      PRIMARY KEY (model, id_hash)
    )`,
    "CREATE INDEX oauth_store_grant ON oauth_store (grant_id) WHERE grant_id IS NOT NULL",
    "CREATE INDEX oauth_store_uid ON oauth_store (model, uid) WHERE uid IS NOT NULL",
    "CREATE INDEX oauth_store_expiry ON oauth_store (expires_at) WHERE expires_at IS NOT NULL",
  ],
};
