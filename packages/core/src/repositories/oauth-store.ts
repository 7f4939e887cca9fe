import { createHash } from "node:crypto";
import type { Clock } from "../clock.js";
import type { WaygateDatabase } from "../database/create-database.js";
import { SecretUnreadableError } from "../errors.js";
import type { SecretBox } from "../secrets/secret-box.js";
import { dbCall } from "./db-call.js";

/** One stored object of an OAuth authorization server (a client, code, token, grant, session, interaction…). */
export type OAuthStorePayload = Record<string, unknown>;

/**
 * The state of the built-in OAuth authorization server, in the shape `oidc-provider` adapters have: objects by model
 * and id, findable by session uid and user code, revocable by grant. Ids are stored hashed and payloads sealed with
 * `WAYGATE_SECRET_KEY`, so the database file holds no usable token. An expired object is never returned.
 */
export interface OAuthStoreRepository {
  /** Stores (or replaces) an object; `expiresInSeconds` unset keeps it until destroyed. */
  upsert(model: string, id: string, payload: OAuthStorePayload, expiresInSeconds?: number): Promise<void>;
  /** The object, with `consumed` (epoch seconds) once consumed; undefined when absent, expired or unreadable. */
  find(model: string, id: string): Promise<OAuthStorePayload | undefined>;
  /** The object of `model` whose payload's `uid` is `uid` (a session). */
  findByUid(model: string, uid: string): Promise<OAuthStorePayload | undefined>;
  /** The object of `model` whose payload's `userCode` is `userCode` (a device code). */
  findByUserCode(model: string, userCode: string): Promise<OAuthStorePayload | undefined>;
  /** Marks an object consumed (an authorization code used once, a rotated refresh token). */
  consume(model: string, id: string): Promise<void>;
  destroy(model: string, id: string): Promise<void>;
  /** Destroys every object (of any model) issued under the grant. */
  revokeByGrantId(grantId: string): Promise<void>;
  /** Deletes expired objects; returns how many. */
  pruneExpired(): Promise<number>;
  /** Live grants (what a person allowed a client), newest first; filtered by account (key id) or client id. */
  listGrants(filter?: { accountId?: string; clientId?: string }): Promise<OAuthGrantInfo[]>;
  /** Deletes a grant and every code and token issued under it; false when there is no such live grant. */
  revokeGrant(grantId: string): Promise<boolean>;
  /** Revokes every grant of an account (a key id); returns how many. */
  revokeGrantsOfAccount(accountId: string): Promise<number>;
}

/** A grant of the built-in authorization server as an admin sees it: who allowed which client what, never a token. */
export interface OAuthGrantInfo {
  grantId: string;
  /** The account that signed in: the API key's id. */
  accountId: string;
  clientId: string;
  /** Scopes granted for each resource (and `openid` for OpenID scopes). */
  scopes: Record<string, string>;
  createdAt: Date | null;
  expiresAt: Date | null;
}

function grantInfoOf(payload: OAuthStorePayload): OAuthGrantInfo | undefined {
  const { jti, accountId, clientId, iat, exp } = payload;
  if (typeof jti !== "string" || typeof accountId !== "string" || typeof clientId !== "string")
    return undefined;
  const scopes: Record<string, string> = {};
  const openid = payload.openid as { scope?: unknown } | undefined;
  if (typeof openid?.scope === "string") scopes.openid = openid.scope;
  for (const [resource, scope] of Object.entries(
    (payload.resources as Record<string, unknown> | undefined) ?? {},
  )) {
    if (typeof scope === "string") scopes[resource] = scope;
  }
  return {
    grantId: jti,
    accountId,
    clientId,
    scopes,
    createdAt: typeof iat === "number" ? new Date(iat * 1000) : null,
    expiresAt: typeof exp === "number" ? new Date(exp * 1000) : null,
  };
}

const hashOf = (id: string) => createHash("sha256").update(id, "utf8").digest("hex");

/** Creates the repository over the `oauth_store` table. */
export function createOAuthStoreRepository(
  db: WaygateDatabase,
  clock: Clock,
  box: SecretBox,
): OAuthStoreRepository {
  const contextOf = (model: string, idHash: string) => `oauth_store:${model}:${idHash}`;

  /** Reads one row's payload; a row sealed under a key this process lacks is as good as absent (sign in again). */
  async function readOne(sql: string, args: (string | number)[], action: string) {
    const result = await dbCall(db, action, () => db.client.execute({ sql, args }));
    const row = result.rows[0];
    if (!row) return undefined;
    let payload: OAuthStorePayload;
    try {
      payload = JSON.parse(box.open(String(row.payload), contextOf(String(row.model), String(row.id_hash))));
    } catch (error) {
      if (error instanceof SecretUnreadableError || error instanceof SyntaxError) return undefined;
      throw error;
    }
    if (row.consumed_at !== null && row.consumed_at !== undefined) {
      payload.consumed = Math.floor(Number(row.consumed_at) / 1000);
    }
    return payload;
  }

  const live = "(expires_at IS NULL OR expires_at > ?)";
  const columns = "model, id_hash, payload, consumed_at";

  const repo: OAuthStoreRepository = {
    async upsert(model, id, payload, expiresInSeconds) {
      const idHash = hashOf(id);
      const now = clock();
      const expiresAt = expiresInSeconds === undefined ? null : now + expiresInSeconds * 1000;
      const text = (key: string) => (typeof payload[key] === "string" ? (payload[key] as string) : null);
      await dbCall(db, "storing an OAuth object", () =>
        db.client.batch(
          [
            {
              sql: `INSERT INTO oauth_store (model, id_hash, payload, grant_id, uid, user_code, expires_at, consumed_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, NULL)
                    ON CONFLICT (model, id_hash) DO UPDATE SET payload = excluded.payload,
                    grant_id = excluded.grant_id, uid = excluded.uid, user_code = excluded.user_code,
                    expires_at = excluded.expires_at`,
              args: [
                model,
                idHash,
                box.seal(JSON.stringify(payload), contextOf(model, idHash)),
                text("grantId"),
                text("uid"),
                text("userCode"),
                expiresAt,
              ],
            },
            // Housekeeping rides on writes: a few expired rows go each time, so the table does not grow without bound.
            {
              sql: `DELETE FROM oauth_store WHERE rowid IN
                    (SELECT rowid FROM oauth_store WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT 20)`,
              args: [now],
            },
          ],
          "write",
        ),
      );
    },

    find: (model, id) =>
      readOne(
        `SELECT ${columns} FROM oauth_store WHERE model = ? AND id_hash = ? AND ${live}`,
        [model, hashOf(id), clock()],
        "reading an OAuth object",
      ),

    findByUid: (model, uid) =>
      readOne(
        `SELECT ${columns} FROM oauth_store WHERE model = ? AND uid = ? AND ${live} LIMIT 1`,
        [model, uid, clock()],
        "reading an OAuth session",
      ),

    findByUserCode: (model, userCode) =>
      readOne(
        `SELECT ${columns} FROM oauth_store WHERE model = ? AND user_code = ? AND ${live} LIMIT 1`,
        [model, userCode, clock()],
        "reading an OAuth device code",
      ),

    async consume(model, id) {
      await dbCall(db, "consuming an OAuth object", () =>
        db.client.execute({
          sql: "UPDATE oauth_store SET consumed_at = ? WHERE model = ? AND id_hash = ? AND consumed_at IS NULL",
          args: [clock(), model, hashOf(id)],
        }),
      );
    },

    async destroy(model, id) {
      await dbCall(db, "deleting an OAuth object", () =>
        db.client.execute({
          sql: "DELETE FROM oauth_store WHERE model = ? AND id_hash = ?",
          args: [model, hashOf(id)],
        }),
      );
    },

    async revokeByGrantId(grantId) {
      await dbCall(db, "revoking an OAuth grant", () =>
        db.client.execute({ sql: "DELETE FROM oauth_store WHERE grant_id = ?", args: [grantId] }),
      );
    },

    async pruneExpired() {
      const result = await dbCall(db, "pruning expired OAuth objects", () =>
        db.client.execute({
          sql: "DELETE FROM oauth_store WHERE expires_at IS NOT NULL AND expires_at <= ?",
          args: [clock()],
        }),
      );
      return result.rowsAffected;
    },

    async listGrants(filter = {}) {
      // Grants are few (one per person and client) and their payloads sealed: read them all, filter after opening.
      const result = await dbCall(db, "listing OAuth grants", () =>
        db.client.execute({
          sql: `SELECT ${columns} FROM oauth_store WHERE model = 'Grant' AND ${live}`,
          args: [clock()],
        }),
      );
      const grants: OAuthGrantInfo[] = [];
      for (const row of result.rows) {
        let payload: OAuthStorePayload;
        try {
          payload = JSON.parse(box.open(String(row.payload), contextOf("Grant", String(row.id_hash))));
        } catch (error) {
          if (error instanceof SecretUnreadableError || error instanceof SyntaxError) continue;
          throw error;
        }
        const info = grantInfoOf(payload);
        if (!info) continue;
        if (filter.accountId !== undefined && info.accountId !== filter.accountId) continue;
        if (filter.clientId !== undefined && info.clientId !== filter.clientId) continue;
        grants.push(info);
      }
      return grants.sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0));
    },

    async revokeGrant(grantId) {
      const results = await dbCall(db, "revoking an OAuth grant", () =>
        db.client.batch(
          [
            { sql: "DELETE FROM oauth_store WHERE model = 'Grant' AND id_hash = ?", args: [hashOf(grantId)] },
            { sql: "DELETE FROM oauth_store WHERE grant_id = ?", args: [grantId] },
          ],
          "write",
        ),
      );
      return (results[0]?.rowsAffected ?? 0) > 0;
    },

    async revokeGrantsOfAccount(accountId) {
      let count = 0;
      for (const grant of await repo.listGrants({ accountId })) {
        if (await repo.revokeGrant(grant.grantId)) count++;
      }
      return count;
    },
  };
  return repo;
}
