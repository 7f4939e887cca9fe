import type { Migration } from "./migration.js";

/**
 * Per-user OAuth tokens for remote upstreams: one row per (server, principal), the principal being a Waygate API key
 * id or an OAuth subject. The tokens are sealed with `WAYGATE_SECRET_KEY` (bound to the row's server and principal,
 * so a payload copied to another row does not open); `expires_at` is the access token's expiry, in the clear, so
 * status pages can say when a token lapses without opening it.
 */
export const migration0011UpstreamUserTokens: Migration = {
  version: 11,
  name: "upstream-user-tokens",
  statements: [
    `CREATE TABLE upstream_user_tokens (
      server TEXT NOT NULL,
      principal TEXT NOT NULL,
      payload TEXT NOT NULL,
      expires_at INTEGER,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (server, principal)
    )`,
  ],
};
