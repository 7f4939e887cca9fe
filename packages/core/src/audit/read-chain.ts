import type { WaygateDatabase } from "../database/create-database.js";
import { dbCall } from "../repositories/db-call.js";
import type { AuditRow } from "./audit-entry.js";

/** One `command_history` row as the chain covers it: its id, its content in row order, and its chain value. */
export interface ChainedRow {
  id: number;
  row: AuditRow;
  chain: string | null;
}

/** A row as `exportAuditRows` gives it: every stored value, `arguments` as the stored JSON text. */
export interface ExportedAuditRow {
  id: number;
  requestId: string;
  method: string;
  keyId: string | null;
  server: string | null;
  tool: string | null;
  transport: string;
  /** Redacted arguments exactly as stored (JSON text), so the chain value can be recomputed from the export. */
  arguments: string | null;
  outcome: string;
  error: string | null;
  durationMs: number;
  /** Epoch milliseconds. */
  at: number;
  /** The OAuth subject and client id as stored (JSON text), or null. */
  principal: string | null;
  chain: string | null;
}

const SELECT_PAGE = `SELECT id, request_id, method, key_id, server, tool, transport, arguments, outcome, error,
  duration_ms, at, principal, chain FROM command_history WHERE id > ? AND at >= ? ORDER BY id LIMIT ?`;

/** Reads `command_history` in id order, a page at a time; with `since`, only rows at or after it. */
export async function* readChainedRows(
  db: WaygateDatabase,
  options: { since?: Date; pageSize?: number } = {},
): AsyncGenerator<ChainedRow> {
  const pageSize = options.pageSize ?? 1000;
  const since = options.since?.getTime() ?? Number.MIN_SAFE_INTEGER;
  let after = Number.MIN_SAFE_INTEGER;
  const text = (value: unknown) => (value === null || value === undefined ? null : String(value));
  for (;;) {
    const page = await dbCall(db, "reading the audit trail", () =>
      db.client.execute({ sql: SELECT_PAGE, args: [after, since, pageSize] }),
    );
    for (const r of page.rows) {
      yield {
        id: Number(r.id),
        row: [
          String(r.request_id),
          String(r.method),
          text(r.key_id),
          text(r.server),
          text(r.tool),
          String(r.transport),
          text(r.arguments),
          String(r.outcome),
          text(r.error),
          Number(r.duration_ms),
          Number(r.at),
          text(r.principal),
        ],
        chain: text(r.chain),
      };
    }
    if (page.rows.length < pageSize) return;
    after = Number(page.rows[page.rows.length - 1]!.id);
  }
}

/**
 * The audit trail in id order with each row's chain value, for an export that an external store can check with
 * the same key (`waygate audit export`).
 */
export async function* exportAuditRows(
  db: WaygateDatabase,
  options: { since?: Date; pageSize?: number } = {},
): AsyncGenerator<ExportedAuditRow> {
  for await (const { id, row, chain } of readChainedRows(db, options)) {
    const [
      requestId,
      method,
      keyId,
      server,
      tool,
      transport,
      args,
      outcome,
      error,
      durationMs,
      at,
      principal,
    ] = row;
    yield {
      id,
      requestId,
      method,
      keyId,
      server,
      tool,
      transport,
      arguments: args,
      outcome,
      error,
      durationMs,
      at,
      principal,
      chain,
    };
  }
}
