import type { InStatement } from "@libsql/client";
import { z } from "zod";
import { redactArguments } from "../redact.js";

/** How a tool call ended. */
export const AuditOutcomeSchema = z.enum(["ok", "error", "denied", "rate_limited", "timeout"]);
export type AuditOutcome = z.infer<typeof AuditOutcomeSchema>;

/** One tool call to record in `command_history`. */
export const AuditEntrySchema = z.object({
  requestId: z.string().min(1).max(200),
  keyId: z.string().min(1).max(200).nullable(),
  server: z.string().max(200).nullable(),
  tool: z.string().max(200).nullable(),
  transport: z.enum(["mcp", "rest"]).default("mcp"),
  /** Stored redacted (secret-named fields hidden) and capped in size. */
  arguments: z.unknown().optional(),
  outcome: AuditOutcomeSchema,
  error: z.string().nullable().optional(),
  durationMs: z.number().nonnegative().finite(),
  at: z.date().optional(),
});
export type AuditEntry = z.input<typeof AuditEntrySchema>;

/** Default cap on stored arguments, in bytes of JSON. */
export const DEFAULT_MAX_ARGUMENT_BYTES = 8192;
const MAX_ERROR_CHARS = 4000;
const COLUMNS = "(request_id, key_id, server, tool, transport, arguments, outcome, error, duration_ms, at)";
const PLACEHOLDERS = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
/** Rows per INSERT, well under SQLite's limit on bound parameters. */
const ROWS_PER_STATEMENT = 500;

/** A validated, redacted entry as the values of one `command_history` row. */
export type AuditRow = [
  string,
  string | null,
  string | null,
  string | null,
  string,
  string | null,
  string,
  string | null,
  number,
  number,
];

/** Validates an entry and turns it into a row: arguments redacted and capped, error text capped. */
export function toAuditRow(
  entry: z.output<typeof AuditEntrySchema>,
  now: number,
  maxArgumentBytes: number,
): AuditRow {
  const args =
    entry.arguments === undefined
      ? null
      : (JSON.stringify(redactArguments(entry.arguments, { maxBytes: maxArgumentBytes })) ?? null);
  const error =
    entry.error == null ? null : (redactArguments(entry.error) as string).slice(0, MAX_ERROR_CHARS);
  return [
    entry.requestId,
    entry.keyId,
    entry.server,
    entry.tool,
    entry.transport,
    args,
    entry.outcome,
    error,
    entry.durationMs,
    entry.at?.getTime() ?? now,
  ];
}

/** INSERT statements writing `rows`, several rows per statement. */
export function auditInsertStatements(rows: readonly AuditRow[]): InStatement[] {
  const statements: InStatement[] = [];
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(start, start + ROWS_PER_STATEMENT);
    statements.push({
      sql: `INSERT INTO command_history ${COLUMNS} VALUES ${Array(chunk.length).fill(PLACEHOLDERS).join(", ")}`,
      args: chunk.flat(),
    });
  }
  return statements;
}
