import { randomUUID } from "node:crypto";
import type { InStatement, Row } from "@libsql/client";
import { apiKeyPrefixOf, createKeyHasher, generateApiKey, hashesEqual } from "../api-keys/key-format.js";
import {
  type ApiKeyRecord,
  type ApiKeyVerification,
  type CreateApiKeyInput,
  CreateApiKeyInputSchema,
} from "../api-keys/schema.js";
import type { Clock } from "../clock.js";
import type { WaygateDatabase } from "../database/create-database.js";
import { InvalidInputError, NotFoundError } from "../errors.js";
import { parseOrThrow } from "../validation.js";
import { dbCall } from "./db-call.js";
import { systemEventStatement } from "./system-events.js";

/** Create, verify, revoke and list API keys. */
export interface ApiKeysRepository {
  /** Creates a key; the plaintext is returned here once and never stored. */
  create(input: CreateApiKeyInput): Promise<{ key: ApiKeyRecord; plaintext: string }>;
  /** Checks a presented key: its record, or why it was refused. */
  verify(plaintext: string): Promise<ApiKeyVerification>;
  /** Revokes a key at once; revoking twice keeps the first revocation time. */
  revoke(id: string): Promise<ApiKeyRecord>;
  /** Every key, newest first (revoked ones too unless `activeOnly`). */
  list(options?: { activeOnly?: boolean }): Promise<ApiKeyRecord[]>;
  /** One key by id, or `null`. */
  get(id: string): Promise<ApiKeyRecord | null>;
  /** How many keys exist (only usable ones with `activeOnly`). */
  count(options?: { activeOnly?: boolean }): Promise<number>;
}

/** `last_used_at` is written at most this often per key, so verification stays a read. */
const LAST_USED_RESOLUTION_MS = 60_000;
/** How long a verified key's row is reused before it is read again (see `RepositoriesOptions.apiKeyCacheMs`). */
export const DEFAULT_VERIFY_CACHE_MS = 1000;
const MAX_CACHED_KEYS = 10_000;
const COLUMNS =
  "json_array(id, name, prefix, key_hash, scopes, tool_patterns, rate_limit_per_minute, created_at, expires_at, revoked_at, last_used_at)";
const ACTIVE = "revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)";

type KeyRow = [
  string,
  string,
  string,
  string,
  string,
  string,
  number | null,
  number,
  number | null,
  number | null,
  number | null,
];

/** Creates the API-key repository; hashes are keyed by `secretKey` (`WAYGATE_SECRET_KEY`). */
export function createApiKeysRepository(
  db: WaygateDatabase,
  secretKey: string,
  clock: Clock,
  cacheMs: number = DEFAULT_VERIFY_CACHE_MS,
): ApiKeysRepository {
  const hash = createKeyHasher(secretKey);
  // Recently verified keys by prefix. Revocation through this repository evicts at once; a revocation
  // written by another process or connection is seen within `cacheMs`, and at once when the clock has stepped back
  // since the row was read (else a step back of an hour would keep a revoked key's row for an hour).
  const cache = new Map<string, { row: KeyRow; hash: Buffer; readAt: number }>();

  async function lookup(prefix: string): Promise<{ row: KeyRow; hash: Buffer } | null> {
    const now = clock();
    const cached = cache.get(prefix);
    if (cached && now >= cached.readAt && now - cached.readAt < cacheMs) return cached;
    const row = await findOne(
      `SELECT ${COLUMNS} FROM api_keys WHERE prefix = ?`,
      prefix,
      "verifying an API key",
    );
    if (row === null) {
      cache.delete(prefix);
      return null;
    }
    const entry = { row, hash: Buffer.from(row[3], "hex"), readAt: now };
    // With cacheMs 0 a stored entry would never be fresh, so not storing it only saves memory: the two mutants that
    // store it anyway (the test forced true, or `>=`) are equivalent and survive.
    if (cacheMs > 0) {
      if (cache.size >= MAX_CACHED_KEYS) cache.delete(cache.keys().next().value as string);
      cache.set(prefix, entry);
    }
    return entry;
  }

  async function findOne(sql: string, arg: string, action: string): Promise<KeyRow | null> {
    const result = await dbCall(db, action, () => db.client.execute({ sql, args: [arg] }));
    return result.rows[0] ? decode(result.rows[0]) : null;
  }

  return {
    async create(input) {
      const fields = parseOrThrow(CreateApiKeyInputSchema, input, "API key");
      const now = clock();
      if (fields.expiresAt && fields.expiresAt.getTime() <= now) {
        throw new InvalidInputError(
          "Invalid API key: expiresAt is in the past; give a future date or null.",
          [{ path: "expiresAt", message: "must be in the future" }],
        );
      }
      const id = randomUUID();
      // A prefix clash is astronomically unlikely; retrying keeps it from ever surfacing as an error.
      for (let attempt = 1; ; attempt++) {
        const { plaintext, prefix } = generateApiKey();
        const row: KeyRow = [
          id,
          fields.name,
          prefix,
          hash(plaintext).toString("hex"),
          JSON.stringify(fields.scopes),
          JSON.stringify(fields.toolPatterns),
          fields.rateLimitPerMinute,
          now,
          fields.expiresAt?.getTime() ?? null,
          null,
          null,
        ];
        try {
          await dbCall(db, "creating an API key", () =>
            db.client.batch(
              [
                { sql: "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", args: row },
                systemEventStatement(
                  {
                    level: "info",
                    type: "api_key.created",
                    message: `API key "${fields.name}" created`,
                    details: { id, prefix },
                  },
                  now,
                ),
              ],
              "write",
            ),
          );
          return { key: toRecord(row), plaintext };
        } catch (error) {
          if (attempt >= 3 || !/UNIQUE constraint failed: api_keys\.prefix/.test(String(error))) throw error;
        }
      }
    },

    async verify(plaintext) {
      const prefix = typeof plaintext === "string" ? apiKeyPrefixOf(plaintext) : null;
      if (prefix === null) return { ok: false, reason: "malformed" };
      const found = await lookup(prefix);
      // Hash even when the prefix is unknown, so both "unknown" paths cost the same.
      const presented = hash(plaintext);
      if (found === null || !hashesEqual(presented, found.hash)) return { ok: false, reason: "unknown" };
      const row = found.row;
      if (row[9] !== null) return { ok: false, reason: "revoked", keyId: String(row[0]) };
      const now = clock();
      if (row[8] !== null && row[8] <= now) return { ok: false, reason: "expired", keyId: String(row[0]) };
      if (now - (row[10] ?? Number.NEGATIVE_INFINITY) >= LAST_USED_RESOLUTION_MS) {
        await dbCall(db, "recording API key use", () =>
          db.client.execute({
            sql: "UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)",
            args: [now, row[0], now - LAST_USED_RESOLUTION_MS],
          }),
        );
        // Only once written: a failed write is tried again on the next use.
        row[10] = now;
      }
      return { ok: true, key: toRecord(row) };
    },

    async revoke(id) {
      const now = clock();
      const results = await dbCall(db, "revoking an API key", () =>
        db.client.batch(
          [
            {
              sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
              args: [now, id],
            },
            // changes() still refers to the UPDATE above, so the event is written only by the revoking call.
            {
              sql: `INSERT INTO system_events (level, type, message, details, at)
                SELECT 'info', 'api_key.revoked', 'API key "' || name || '" revoked', json_object('id', id, 'prefix', prefix), ?
                FROM api_keys WHERE id = ? AND changes() > 0`,
              args: [now, id],
            },
            { sql: `SELECT ${COLUMNS} FROM api_keys WHERE id = ?`, args: [id] },
          ],
          "write",
        ),
      );
      const found = results[2]!.rows[0];
      if (!found)
        throw new NotFoundError(`No API key with id ${JSON.stringify(id)}; list keys to find the right id.`);
      const row = decode(found);
      cache.delete(row[2]);
      return toRecord(row);
    },

    async list(options = {}) {
      const statement = keysStatement(
        `SELECT ${COLUMNS}`,
        options.activeOnly,
        "ORDER BY created_at DESC, rowid DESC",
      );
      const result = await dbCall(db, "listing API keys", () => db.client.execute(statement));
      return result.rows.map((row) => toRecord(decode(row)));
    },

    async get(id) {
      const row = await findOne(`SELECT ${COLUMNS} FROM api_keys WHERE id = ?`, id, "reading an API key");
      return row ? toRecord(row) : null;
    },

    async count(options = {}) {
      const statement = keysStatement("SELECT count(*)", options.activeOnly, "");
      const result = await dbCall(db, "counting API keys", () => db.client.execute(statement));
      return Number(result.rows[0]![0]);
    },
  };

  /** `select … FROM api_keys … order`, limited to usable keys at this moment when `activeOnly`. */
  function keysStatement(select: string, activeOnly: boolean | undefined, order: string): InStatement {
    return activeOnly
      ? { sql: `${select} FROM api_keys WHERE ${ACTIVE} ${order}`, args: [clock()] }
      : `${select} FROM api_keys ${order}`;
  }
}

function decode(row: Row): KeyRow {
  return JSON.parse(String(row[0])) as KeyRow;
}

function toRecord(row: KeyRow): ApiKeyRecord {
  return {
    id: row[0],
    name: row[1],
    prefix: row[2],
    scopes: JSON.parse(row[4]) as string[],
    toolPatterns: JSON.parse(row[5]) as string[],
    rateLimitPerMinute: row[6],
    createdAt: new Date(row[7]),
    expiresAt: row[8] === null ? null : new Date(row[8]),
    revokedAt: row[9] === null ? null : new Date(row[9]),
    lastUsedAt: row[10] === null ? null : new Date(row[10]),
  };
}
