import type { InStatement, Row } from "@libsql/client";
import { z } from "zod";
import { ANCHOR_EVENT_TYPE, type ChainKey, chainKeyOf, GENESIS_CHAIN } from "../audit/audit-chain.js";
import {
  type AuditEntry,
  AuditEntrySchema,
  AuditOutcomeSchema,
  type AuditPrincipal,
  checkMaxArgumentBytes,
  DEFAULT_MAX_ARGUMENT_BYTES,
  toAuditRow,
} from "../audit/audit-entry.js";
import { writeAuditRows } from "../audit/write-audit-rows.js";
import type { Clock } from "../clock.js";
import type { WaygateDatabase } from "../database/create-database.js";
import type { WriteConnection } from "../database/write-connection.js";
import { parseOrThrow } from "../validation.js";
import { type AuditStats, type AuditStatsQuery, queryAuditStats } from "./audit-stats.js";
import { dbCall, parseJsonColumn } from "./db-call.js";
import { type Page, PageQuerySchema, pageConditions, toPage } from "./page.js";

/** A stored MCP request. `arguments` is the redacted, size-capped copy. */
export interface CommandHistoryRecord {
  id: number;
  requestId: string;
  /** The MCP method (`tools/call`, `resources/read`, `prompts/list`…). */
  method: string;
  keyId: string | null;
  server: string | null;
  tool: string | null;
  transport: "mcp" | "rest";
  arguments: unknown;
  outcome: z.infer<typeof AuditOutcomeSchema>;
  error: string | null;
  durationMs: number;
  at: Date;
  /** The OAuth subject and client id of the caller; null for API keys. */
  principal: AuditPrincipal | null;
}

/** Filters for `commandHistory.query`; all optional, combined with AND. */
export const CommandHistoryQuerySchema = PageQuerySchema.extend({
  keyId: z.string().optional(),
  method: z.string().optional(),
  server: z.string().optional(),
  tool: z.string().optional(),
  outcome: AuditOutcomeSchema.optional(),
  requestId: z.string().optional(),
});
export type CommandHistoryQuery = z.input<typeof CommandHistoryQuerySchema>;

/** The audit trail of MCP requests. For high-rate writing use `createAuditWriter`. */
export interface CommandHistoryRepository {
  /** Validates every entry, then writes them all in one transaction (or none); returns how many. */
  appendMany(entries: readonly AuditEntry[]): Promise<number>;
  /** Newest first, filtered and paged. */
  query(query?: CommandHistoryQuery): Promise<Page<CommandHistoryRecord>>;
  /** One row by its id, or null when there is none. */
  get(id: number): Promise<CommandHistoryRecord | null>;
  /** Calls, errors and p50/p95 latency per step of a bounded range, overall and per server (for plots). */
  stats(query: AuditStatsQuery): Promise<AuditStats>;
  /**
   * Deletes the oldest rows, up to the first one at or after `before`, and records an anchor in `system_events` so that
   * `verifyAuditChain` still verifies what is left; returns how many rows were deleted.
   */
  prune(before: Date): Promise<number>;
}

const COLUMNS =
  "id, request_id, method, key_id, server, tool, transport, arguments, outcome, error, duration_ms, at, principal";

const FILTER_COLUMNS = [
  ["keyId", "key_id"],
  ["method", "method"],
  ["server", "server"],
  ["tool", "tool"],
  ["outcome", "outcome"],
  ["requestId", "request_id"],
] as const;

/** Creates the command-history repository. */
export function createCommandHistoryRepository(
  db: WaygateDatabase,
  clock: Clock,
  maxArgumentBytes: number = DEFAULT_MAX_ARGUMENT_BYTES,
  secretKey?: string,
): CommandHistoryRepository {
  checkMaxArgumentBytes(maxArgumentBytes, "createCommandHistoryRepository");
  const chainKey = chainKeyOf(secretKey);
  let direct: WriteConnection | undefined | null = null;
  return {
    async appendMany(entries) {
      // Local files append through a write connection (the chain reads its head inside the transaction, which
      // must not wait on the event loop while it holds the lock); memory and remote databases through the client.
      if (direct === null) direct = db.openWriteConnection();
      if (entries.length === 0) return 0;
      const now = clock();
      const rows = entries.map((entry, index) =>
        toAuditRow(
          parseOrThrow(AuditEntrySchema, entry, `audit entry at index ${index}`),
          now,
          maxArgumentBytes,
        ),
      );
      await dbCall(db, "appending command history", () =>
        writeAuditRows(db, rows, chainKey, direct ? { direct } : {}),
      );
      return rows.length;
    },
    async query(input = {}) {
      const query = parseOrThrow(CommandHistoryQuerySchema, input, "command history query");
      const { where, args } = pageConditions(query);
      for (const [field, column] of FILTER_COLUMNS) {
        const value = query[field];
        if (value !== undefined) {
          where.push(`${column} = ?`);
          args.push(value);
        }
      }
      // The outcome index holds only rows that are not ok (migration 10); SQLite uses a partial index only when the
      // query repeats its condition.
      if (query.outcome !== undefined && query.outcome !== "ok") where.push("outcome <> 'ok'");
      const sql = `SELECT ${COLUMNS}
        FROM command_history ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
        ORDER BY at DESC, id DESC LIMIT ?`;
      const result = await dbCall(db, "querying command history", () =>
        db.client.execute({ sql, args: [...args, query.limit + 1] }),
      );
      return toPage(result.rows, query.limit, toRecord);
    },
    async get(id) {
      if (!Number.isSafeInteger(id) || id < 1) return null;
      const result = await dbCall(db, "reading a command history row", () =>
        db.client.execute({ sql: `SELECT ${COLUMNS} FROM command_history WHERE id = ?`, args: [id] }),
      );
      const row = result.rows[0];
      return row ? toRecord(row) : null;
    },
    stats(query) {
      return queryAuditStats(db, query);
    },
    async prune(before) {
      // One batch, never an interactive transaction: a local write that waits on the event loop while holding the
      // lock would block every other writer of this process (they wait for the lock synchronously).
      const statements = pruneStatements(before.getTime(), chainKey, clock());
      const results = await dbCall(db, "pruning command history", () => db.client.batch(statements, "write"));
      return results[1]?.rowsAffected ?? 0;
    },
  };
}

/**
 * Retention as two statements of one batch: record where the chain stands at the last row to delete (an anchor), then
 * delete every row up to it. The rows deleted are a prefix of the chain: all before the first row at or after
 * `before`, or all rows when none is that recent.
 */
function pruneStatements(before: number, key: ChainKey, now: number): InStatement[] {
  const lastDeleted = `coalesce((SELECT min(id) FROM command_history WHERE at >= ?), (SELECT max(id) + 1 FROM command_history)) - 1`;
  return [
    {
      sql: `INSERT INTO system_events (level, type, message, details, at)
        SELECT 'info', ?, 'audit chain anchor at row ' || id || ': ' || pruned || ' older rows deleted by retention',
          json_object('id', id, 'chain', coalesce(chain, ?), 'keyId', ?, 'pruned', pruned), ?
        FROM (SELECT id, chain, (SELECT count(*) FROM command_history WHERE id <= last.at_most) AS pruned
              FROM command_history, (SELECT ${lastDeleted} AS at_most) AS last
              WHERE id <= last.at_most ORDER BY id DESC LIMIT 1)`,
      args: [ANCHOR_EVENT_TYPE, GENESIS_CHAIN, key.id, now, before],
    },
    { sql: `DELETE FROM command_history WHERE id <= ${lastDeleted}`, args: [before] },
  ];
}

function toRecord(row: Row): CommandHistoryRecord {
  const text = (value: unknown) => (value === null ? null : String(value));
  return {
    id: Number(row.id),
    requestId: String(row.request_id),
    method: String(row.method),
    keyId: text(row.key_id),
    server: text(row.server),
    tool: text(row.tool),
    transport: row.transport as "mcp" | "rest",
    arguments: parseJsonColumn(row.arguments, null),
    outcome: row.outcome as CommandHistoryRecord["outcome"],
    error: text(row.error),
    durationMs: Number(row.duration_ms),
    at: new Date(Number(row.at)),
    principal: parseJsonColumn(row.principal, null) as AuditPrincipal | null,
  };
}
