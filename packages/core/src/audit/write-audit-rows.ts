import type { WaygateDatabase } from "../database/create-database.js";
import type { WriteStatement, WriteValue } from "../database/write-connection.js";
import {
  ANCHOR_EVENT_TYPE,
  type AnchorDetails,
  type ChainHead,
  type ChainKey,
  GENESIS_CHAIN,
} from "./audit-chain.js";
import { type AuditRow, auditInsertStatements } from "./audit-entry.js";

const HEAD_SQL = "SELECT id, chain FROM command_history ORDER BY id DESC LIMIT 1";
const LAST_ANCHOR_SQL = `SELECT details FROM system_events WHERE type = '${ANCHOR_EVENT_TYPE}' ORDER BY id DESC LIMIT 1`;
const ANCHOR_INSERT =
  "INSERT INTO system_events (level, type, message, details, at) VALUES ('info', ?, ?, ?, ?)";

/** What the chain builds on: the last row, or on an empty table the last anchor (retention deleted everything). */
export function headOf(
  last: Record<string, unknown> | undefined,
  lastAnchor: () => Record<string, unknown> | undefined,
): ChainHead {
  // A row written before the chain existed (migration 3) is not chained: the chain starts after it.
  if (last)
    return { id: Number(last.id), chain: typeof last.chain === "string" ? last.chain : GENESIS_CHAIN };
  const anchor = parseAnchor(lastAnchor()?.details);
  return anchor ? { id: anchor.id, chain: anchor.chain } : { id: 0, chain: GENESIS_CHAIN };
}

/** Reads anchor details from a `system_events.details` value; undefined when it is not one. */
export function parseAnchor(details: unknown): AnchorDetails | undefined {
  if (typeof details !== "string") return undefined;
  try {
    const parsed = JSON.parse(details) as Partial<AnchorDetails>;
    if (typeof parsed.id !== "number" || typeof parsed.chain !== "string" || typeof parsed.keyId !== "string")
      return undefined;
    return parsed as AnchorDetails;
  } catch {
    return undefined;
  }
}

/** The statement that records `head` as an anchor in `system_events`. */
export function anchorStatement(
  head: ChainHead,
  key: ChainKey,
  at: number,
  extra: Partial<AnchorDetails> = {},
): WriteStatement {
  const details: AnchorDetails = { id: head.id, chain: head.chain, keyId: key.id, ...extra };
  const message = extra.pruned
    ? `audit chain anchor at row ${head.id}: ${extra.pruned} older rows deleted by retention`
    : `audit chain anchor at row ${head.id}`;
  const args: WriteValue[] = [ANCHOR_EVENT_TYPE, message, JSON.stringify(details), at];
  return { sql: ANCHOR_INSERT, args };
}

/**
 * Appends `rows` to `command_history` in one write transaction, chained after the row that is last when the
 * transaction holds the write lock, so writers in several processes or replicas still form one chain. With `anchorAt`,
 * the new head is also recorded as an anchor in the same transaction.
 */
export async function writeAuditRows(
  db: WaygateDatabase,
  rows: readonly AuditRow[],
  key: ChainKey,
  options: { anchorAt?: number; direct?: ReturnType<WaygateDatabase["openWriteConnection"]> } = {},
): Promise<ChainHead> {
  const { direct, anchorAt } = options;
  if (direct) {
    return direct.transaction((tx) => {
      const head = headOf(tx.get(HEAD_SQL), () => tx.get(LAST_ANCHOR_SQL));
      const written = auditInsertStatements(rows, head, key);
      for (const statement of written.statements) tx.run(statement);
      if (anchorAt !== undefined) tx.run(anchorStatement(written.head, key, anchorAt));
      return written.head;
    });
  }
  const tx = await db.client.transaction("write");
  try {
    const last = (await tx.execute(HEAD_SQL)).rows[0] as Record<string, unknown> | undefined;
    const anchor = last
      ? undefined
      : ((await tx.execute(LAST_ANCHOR_SQL)).rows[0] as Record<string, unknown>);
    const written = auditInsertStatements(
      rows,
      headOf(last, () => anchor),
      key,
    );
    const statements = [...written.statements];
    if (anchorAt !== undefined) statements.push(anchorStatement(written.head, key, anchorAt));
    await tx.batch(statements);
    await tx.commit();
    return written.head;
  } finally {
    tx.close();
  }
}
