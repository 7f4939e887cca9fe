import type { Row } from "@libsql/client";
import { z } from "zod";
import {
  type AuditEntry,
  AuditEntrySchema,
  AuditOutcomeSchema,
  auditInsertStatements,
  DEFAULT_MAX_ARGUMENT_BYTES,
  toAuditRow,
} from "../audit/audit-entry.js";
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
  /** Deletes rows older than `before`; returns how many. */
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
): CommandHistoryRepository {
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
      await dbCall(db, "appending command history", () =>
        db.client.batch(auditInsertStatements(rows), "write"),
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
      const sql = `SELECT id, request_id, method, key_id, server, tool, transport, arguments, outcome, error, duration_ms, at
        FROM command_history ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
        ORDER BY at DESC, id DESC LIMIT ?`;
      const result = await dbCall(db, "querying command history", () =>
        db.client.execute({ sql, args: [...args, query.limit + 1] }),
      );
      return toPage(result.rows, query.limit, toRecord);
    },
    async prune(before) {
      const result = await dbCall(db, "pruning command history", () =>
        db.client.execute({ sql: "DELETE FROM command_history WHERE at < ?", args: [before.getTime()] }),
      );
      return result.rowsAffected;
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
