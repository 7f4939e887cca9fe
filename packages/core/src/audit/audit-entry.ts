import { z } from "zod";
import type { WriteStatement } from "../database/write-connection.js";
import { redactArguments, redactToJson } from "../redact.js";
import { type ChainHead, type ChainKey, chainLink } from "./audit-chain.js";

/** Longer names (a client may send any string as a tool name or URI) are stored cut to this length. */
const MAX_NAME_CHARS = 2000;

/** How a tool call ended. */
export const AuditOutcomeSchema = z.enum(["ok", "error", "denied", "rate_limited", "timeout"]);
export type AuditOutcome = z.infer<typeof AuditOutcomeSchema>;

/** Who an OAuth access token named, for a request made with one (API keys are `keyId`). */
export const AuditPrincipalSchema = z.object({
  subject: z.string().min(1).max(500),
  clientId: z.string().min(1).max(500).nullable(),
});
export type AuditPrincipal = z.infer<typeof AuditPrincipalSchema>;

/** One MCP request (a tool call, a prompt, a resource read, a list…) to record in `command_history`. */
export const AuditEntrySchema = z.object({
  requestId: z.string().min(1).max(200),
  /** The MCP method, e.g. `tools/call`, `resources/read`, `prompts/list`. */
  method: z.string().min(1).max(100).default("tools/call"),
  keyId: z.string().min(1).max(200).nullable(),
  /** The OAuth subject and client of the caller; absent for API keys and anonymous callers. */
  principal: AuditPrincipalSchema.nullable().optional(),
  server: z.string().max(200).nullable(),
  /** What the request named: a tool or prompt name, a resource URI; null for lists. */
  tool: z
    .string()
    .transform((name) => name.slice(0, MAX_NAME_CHARS))
    .nullable(),
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
/**
 * The smallest cap on stored arguments: an argument over the cap becomes a truncation marker, which alone takes about
 * 50 bytes, so a smaller cap would store rows over the cap with nothing of the call in them.
 */
export const MIN_MAX_ARGUMENT_BYTES = 256;

/** `value` when it is a whole number of bytes >= `MIN_MAX_ARGUMENT_BYTES`; otherwise a RangeError naming `caller`. */
export function checkMaxArgumentBytes(value: number, caller: string): number {
  if (!Number.isInteger(value) || value < MIN_MAX_ARGUMENT_BYTES) {
    throw new RangeError(
      `${caller}: maxArgumentBytes must be a whole number >= ${MIN_MAX_ARGUMENT_BYTES} (an argument over it becomes a marker of about 50 bytes), got ${value}.`,
    );
  }
  return value;
}
const MAX_ERROR_CHARS = 4000;
const COLUMNS =
  "(id, request_id, method, key_id, server, tool, transport, arguments, outcome, error, duration_ms, at, principal, chain)";
const PLACEHOLDERS = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
/**
 * Most rows per multi-row INSERT. A batch is written as INSERTs of 64, 32, 16, 8, 4, 2 and 1 rows, so a write
 * connection keeps seven SQL texts prepared whatever the batch size; one INSERT per row costs about a fifth more CPU.
 */
const MAX_ROWS_PER_STATEMENT = 64;
const insertSql = new Map<number, string>();
function insertOf(rows: number): string {
  let sql = insertSql.get(rows);
  if (sql === undefined) {
    sql = `INSERT INTO command_history ${COLUMNS} VALUES ${Array(rows).fill(PLACEHOLDERS).join(", ")}`;
    insertSql.set(rows, sql);
  }
  return sql;
}

/**
 * A validated, redacted entry as the values of one `command_history` row; the last is the principal as JSON (null
 * for API keys).
 */
export type AuditRow = [
  string,
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
  string | null,
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
      : (redactToJson(entry.arguments, { maxBytes: maxArgumentBytes }) ?? null);
  const error =
    entry.error == null ? null : (redactArguments(entry.error) as string).slice(0, MAX_ERROR_CHARS);
  return [
    entry.requestId,
    entry.method,
    entry.keyId,
    entry.server,
    entry.tool,
    entry.transport,
    args,
    entry.outcome,
    error,
    entry.durationMs,
    entry.at?.getTime() ?? now,
    entry.principal
      ? JSON.stringify({ subject: entry.principal.subject, clientId: entry.principal.clientId })
      : null,
  ];
}

/**
 * INSERT statements writing `rows` after `head`, each with the next id and its chain value, as few multi-row INSERTs
 * of a power-of-two size as the count allows. Returns the statements and the new head.
 */
export function auditInsertStatements(
  rows: readonly AuditRow[],
  head: ChainHead,
  key: ChainKey,
): { statements: WriteStatement[]; head: ChainHead } {
  let { id, chain } = head;
  const values = rows.map((row) => {
    id += 1;
    chain = chainLink(key, chain, row);
    return [id, ...row, chain];
  });
  const statements: WriteStatement[] = [];
  let start = 0;
  for (let size = MAX_ROWS_PER_STATEMENT; size >= 1; size /= 2) {
    for (; start + size <= values.length; start += size) {
      statements.push({ sql: insertOf(size), args: values.slice(start, start + size).flat() });
    }
  }
  return { statements, head: { id, chain } };
}
