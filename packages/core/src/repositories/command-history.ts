import type { Row } from "@libsql/client";
import { z } from "zod";
import { chainKeyOf, GENESIS_CHAIN } from "../audit/audit-chain.js";
import {
  type AuditEntry,
  AuditEntrySchema,
  AuditOutcomeSchema,
  DEFAULT_MAX_ARGUMENT_BYTES,
  toAuditRow,
} from "../audit/audit-entry.js";
import { anchorStatement, writeAuditRows } from "../audit/write-audit-rows.js";
import type { Clock } from "../clock.js";
import type { WaygateDatabase } from "../database/create-database.js";
import { parseOrThrow } from "../validation.js";
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
  /**
   * Deletes the oldest rows, up to the first one at or after `before`, and records an anchor in `system_events` so that
   * `verifyAuditChain` still verifies what is left; returns how many rows were deleted.
   */
  prune(before: Date): Promise<number>;
}

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
  const chainKey = chainKeyOf(secretKey);
  return {
    async appendMany(entries) {
      if (entries.length === 0) return 0;
      const now = clock();
      const rows = entries.map((entry, index) =>
        toAuditRow(
          parseOrThrow(AuditEntrySchema, entry, `audit entry at index ${index}`),
          now,
          maxArgumentBytes,
        ),
      );
      await dbCall(db, "appending command history", () => writeAuditRows(db, rows, chainKey));
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
      const sql = `SELECT id, request_id, method, key_id, server, tool, transport, arguments, outcome, error, duration_ms, at
        FROM command_history ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
        ORDER BY at DESC, id DESC LIMIT ?`;
      const result = await dbCall(db, "querying command history", () =>
        db.client.execute({ sql, args: [...args, query.limit + 1] }),
      );
      return toPage(result.rows, query.limit, toRecord);
    },
    async prune(before) {
      return dbCall(db, "pruning command history", async () => {
        const tx = await db.client.transaction("write");
        try {
          // Retention deletes a prefix of the chain (ids follow commit order): every row before the first one
          // at or after `before`, and records where the chain stood as an anchor so that verification still holds.
          const kept = await tx.execute({
            sql: "SELECT min(id) AS id FROM command_history WHERE at >= ?",
            args: [before.getTime()],
          });
          const firstKept = kept.rows[0]?.id;
          const last = await tx.execute(
            firstKept === null || firstKept === undefined
              ? "SELECT id, chain FROM command_history ORDER BY id DESC LIMIT 1"
              : {
                  sql: "SELECT id, chain FROM command_history WHERE id < ? ORDER BY id DESC LIMIT 1",
                  args: [firstKept],
                },
          );
          const lastDeleted = last.rows[0];
          if (!lastDeleted) {
            await tx.commit();
            return 0;
          }
          const id = Number(lastDeleted.id);
          const deleted = await tx.execute({ sql: "DELETE FROM command_history WHERE id <= ?", args: [id] });
          // A row from before the chain was followed by a row chained from the genesis value.
          const chain = typeof lastDeleted.chain === "string" ? lastDeleted.chain : GENESIS_CHAIN;
          await tx.execute(
            anchorStatement({ id, chain }, chainKey, clock(), { pruned: deleted.rowsAffected }),
          );
          await tx.commit();
          return deleted.rowsAffected;
        } finally {
          tx.close();
        }
      });
    },
  };
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
  };
}
