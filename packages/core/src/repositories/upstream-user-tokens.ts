import type { Clock } from "../clock.js";
import type { WaygateDatabase } from "../database/create-database.js";
import { SecretUnreadableError } from "../errors.js";
import type { SecretBox } from "../secrets/secret-box.js";
import { dbCall, toDate } from "./db-call.js";

/** The OAuth token set of one principal at one upstream, as the upstream's authorization server issued it. */
export type UpstreamUserTokenSet = Record<string, unknown>;

/** What may be shown of a stored token: who and when, never the token. */
export interface UpstreamUserTokenInfo {
  server: string;
  principal: string;
  /** When the access token expires; null when the authorization server did not say. */
  expiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * Per-user OAuth tokens for remote upstreams, by (server, principal). The token set is sealed with
 * `WAYGATE_SECRET_KEY` and bound to its row; reads of one sealed under a key this process lacks answer undefined
 * (the user signs in again), never the sealed text.
 */
export interface UpstreamUserTokensRepository {
  /** Stores (or replaces) the principal's tokens at `server`; `expiresAt` is the access token's expiry. */
  save(
    server: string,
    principal: string,
    tokens: UpstreamUserTokenSet,
    expiresAt: Date | null,
  ): Promise<void>;
  /** The principal's tokens at `server`, or undefined. */
  get(server: string, principal: string): Promise<UpstreamUserTokenSet | undefined>;
  /** Deletes the principal's tokens at `server`; true when there were some. */
  revoke(server: string, principal: string): Promise<boolean>;
  /** Deletes every token of `principal` (at every server); returns how many. */
  revokePrincipal(principal: string): Promise<number>;
  /** Stored tokens without their secrets, by server then principal; filtered by either when given. */
  list(filter?: { server?: string; principal?: string }): Promise<UpstreamUserTokenInfo[]>;
}

const contextOf = (server: string, principal: string) =>
  `upstream_user_tokens:${JSON.stringify([server, principal])}`;

/** Creates the repository over the `upstream_user_tokens` table. */
export function createUpstreamUserTokensRepository(
  db: WaygateDatabase,
  clock: Clock,
  box: SecretBox,
): UpstreamUserTokensRepository {
  return {
    async save(server, principal, tokens, expiresAt) {
      const now = clock();
      await dbCall(db, "storing an upstream user token", () =>
        db.client.execute({
          sql: `INSERT INTO upstream_user_tokens (server, principal, payload, expires_at, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (server, principal) DO UPDATE SET payload = excluded.payload,
                expires_at = excluded.expires_at, updated_at = excluded.updated_at`,
          args: [
            server,
            principal,
            box.seal(JSON.stringify(tokens), contextOf(server, principal)),
            expiresAt ? expiresAt.getTime() : null,
            now,
            now,
          ],
        }),
      );
    },

    async get(server, principal) {
      const result = await dbCall(db, "reading an upstream user token", () =>
        db.client.execute({
          sql: "SELECT payload FROM upstream_user_tokens WHERE server = ? AND principal = ?",
          args: [server, principal],
        }),
      );
      const row = result.rows[0];
      if (!row) return undefined;
      try {
        return JSON.parse(
          box.open(String(row.payload), contextOf(server, principal)),
        ) as UpstreamUserTokenSet;
      } catch (error) {
        if (error instanceof SecretUnreadableError || error instanceof SyntaxError) return undefined;
        throw error;
      }
    },

    async revoke(server, principal) {
      const result = await dbCall(db, "revoking an upstream user token", () =>
        db.client.execute({
          sql: "DELETE FROM upstream_user_tokens WHERE server = ? AND principal = ?",
          args: [server, principal],
        }),
      );
      return result.rowsAffected > 0;
    },

    async revokePrincipal(principal) {
      const result = await dbCall(db, "revoking a principal's upstream user tokens", () =>
        db.client.execute({ sql: "DELETE FROM upstream_user_tokens WHERE principal = ?", args: [principal] }),
      );
      return result.rowsAffected;
    },

    async list(filter = {}) {
      const where: string[] = [];
      const args: string[] = [];
      if (filter.server !== undefined) {
        where.push("server = ?");
        args.push(filter.server);
      }
      if (filter.principal !== undefined) {
        where.push("principal = ?");
        args.push(filter.principal);
      }
      const result = await dbCall(db, "listing upstream user tokens", () =>
        db.client.execute({
          sql: `SELECT server, principal, expires_at, created_at, updated_at FROM upstream_user_tokens
                ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY server, principal`,
          args,
        }),
      );
      return result.rows.map((row) => ({
        server: String(row.server),
        principal: String(row.principal),
        expiresAt: toDate(row.expires_at),
        createdAt: new Date(Number(row.created_at)),
        updatedAt: new Date(Number(row.updated_at)),
      }));
    },
  };
}
