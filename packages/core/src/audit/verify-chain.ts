import type { WaygateDatabase } from "../database/create-database.js";
import { SchemaTooOldError } from "../errors.js";
import { migration0003AuditChain } from "../migrations/0003-audit-chain.js";
import { dbCall } from "../repositories/db-call.js";
import {
  ANCHOR_EVENT_TYPE,
  type AnchorDetails,
  type ChainHead,
  type ChainKey,
  chainKeyOf,
  chainLink,
  GENESIS_CHAIN,
} from "./audit-chain.js";
import { type ChainedRow, readChainedRows } from "./read-chain.js";
import { parseAnchor } from "./write-audit-rows.js";

/** What kind of change `verifyAuditChain` found at the first row that breaks the chain. */
export type ChainProblemKind = "edited" | "deleted" | "inserted" | "reordered" | "key";

/** The first row at which the chain breaks, and what most likely happened there. */
export interface ChainProblem {
  kind: ChainProblemKind;
  /** Id of the row where the chain breaks (for `deleted`, the first row after the gap). */
  id: number;
  message: string;
}

/** The outcome of walking the chain. */
export interface AuditChainReport {
  ok: boolean;
  /** Rows whose chain value was checked and matched. */
  verified: number;
  /** Rows written before the chain existed (migration 3); they are not covered. */
  unchained: number;
  /** The last row's id and chain value, once the walk got there. */
  head: ChainHead | null;
  /** The retention anchor the walk started from, when older rows were deleted by retention. */
  startedFrom?: AnchorDetails;
  /** Set when `ok` is false. */
  problem?: ChainProblem;
}

/** Options of `verifyAuditChain`. */
export interface VerifyAuditChainOptions {
  /** `WAYGATE_SECRET_KEY` of the gateway that wrote the rows (the chain is keyed by it). */
  secretKey?: string;
  /** Rows read per query (default 1000). */
  pageSize?: number;
}

/** How far around a broken row the walk looks for the row it was really chained after. */
const REORDER_WINDOW = 32;

/**
 * Walks `command_history` in id order and recomputes each row's chain value; names the first row that was edited,
 * deleted, inserted or reordered. Retention anchors in `system_events` let the walk start after deleted rows, and
 * every anchor inside the walked range must agree with the row it names.
 */
export async function verifyAuditChain(
  db: WaygateDatabase,
  options: VerifyAuditChainOptions = {},
): Promise<AuditChainReport> {
  await requireChainSchema(db);
  const key = chainKeyOf(options.secretKey);
  const pageSize = options.pageSize ?? 1000;
  const anchors = await readAnchors(db);
  const report: AuditChainReport = { ok: true, verified: 0, unchained: 0, head: null };
  const fail = (problem: ChainProblem): AuditChainReport => ({ ...report, ok: false, problem });

  let previous = GENESIS_CHAIN;
  let previousId: number | null = null;
  const recent: ChainedRow[] = [];
  const rows = readChainedRows(db, { pageSize });
  let lookahead: ChainedRow[] = [];
  const next = async (count: number) => {
    while (lookahead.length < count) {
      const row = await rows.next();
      if (row.done) break;
      lookahead.push(row.value);
    }
    return lookahead.slice(0, count);
  };

  for (;;) {
    const [current] = await next(1);
    if (!current) break;
    lookahead = lookahead.slice(1);

    if (current.chain === null) {
      if (report.verified > 0) {
        return fail({
          kind: "inserted",
          id: current.id,
          message: `Row ${current.id} has no chain value but follows chained rows: it was inserted or rewritten outside the audit writer.`,
        });
      }
      report.unchained += 1;
      previousId = current.id;
      continue;
    }

    if (report.verified === 0 && report.unchained === 0 && current.id > 1) {
      // The oldest row left: retention must have anchored the row before it.
      const anchor = anchors.get(current.id - 1);
      if (!anchor) {
        return fail({
          kind: "deleted",
          id: current.id,
          message: `Rows before ${current.id} are missing and no retention anchor covers them: they were deleted.`,
        });
      }
      previous = anchor.chain;
      report.startedFrom = anchor;
    } else if (previousId !== null && current.id !== previousId + 1) {
      return fail({
        kind: "deleted",
        id: current.id,
        message: `Rows ${previousId + 1} to ${current.id - 1} are missing: they were deleted.`,
      });
    }

    if (chainLink(key, previous, current.row) !== current.chain) {
      return fail(classify(current, previous, recent, await next(REORDER_WINDOW), key, anchors, report));
    }
    const anchor = anchors.get(current.id);
    if (anchor && anchor.chain !== current.chain && anchor.keyId === key.id) {
      return fail({
        kind: "edited",
        id: current.id,
        message: `Row ${current.id} disagrees with the anchor recorded for it: the chain from here on was recomputed after the rows were changed.`,
      });
    }
    previous = current.chain;
    previousId = current.id;
    report.verified += 1;
    report.head = { id: current.id, chain: current.chain };
    recent.push(current);
    if (recent.length > REORDER_WINDOW) recent.shift();
  }

  const lastAnchor = [...anchors.values()].reduce<AnchorDetails | undefined>(
    (latest, anchor) => (!latest || anchor.id > latest.id ? anchor : latest),
    undefined,
  );
  if (lastAnchor && previousId !== null && lastAnchor.id > previousId) {
    return fail({
      kind: "deleted",
      id: previousId + 1,
      message: `Rows ${previousId + 1} to ${lastAnchor.id} are missing (an anchor records row ${lastAnchor.id}): they were deleted.`,
    });
  }
  return report;
}

/** Says what most likely happened at a row whose chain value does not match. */
function classify(
  row: ChainedRow,
  previous: string,
  before: readonly ChainedRow[],
  after: readonly ChainedRow[],
  key: ChainKey,
  anchors: Map<number, AnchorDetails>,
  report: AuditChainReport,
): ChainProblem {
  const chainedAfter = [...after, ...before].find(
    (other) => other.chain !== null && chainLink(key, other.chain, row.row) === row.chain,
  );
  if (chainedAfter) {
    return {
      kind: "reordered",
      id: row.id,
      message: `Row ${row.id} is out of order: it was written after row ${chainedAfter.id}.`,
    };
  }
  const [following] = after;
  if (following?.chain && chainLink(key, previous, following.row) === following.chain) {
    return {
      kind: "inserted",
      id: row.id,
      message: `Row ${row.id} was inserted: the row after it follows the row before it.`,
    };
  }
  if (following?.chain && chainLink(key, row.chain!, following.row) === following.chain) {
    return {
      kind: "edited",
      id: row.id,
      message: `Row ${row.id} was edited: its content no longer matches its chain value.`,
    };
  }
  const otherKey = [...anchors.values()].find((anchor) => anchor.keyId !== key.id);
  if (report.verified === 0 && otherKey) {
    return {
      kind: "key",
      id: row.id,
      message:
        `The chain does not verify from its first row, and it was written with another key (key id ${otherKey.keyId}; ` +
        `this WAYGATE_SECRET_KEY gives ${key.id}). Verify with the WAYGATE_SECRET_KEY the gateway used.`,
    };
  }
  return {
    kind: "edited",
    id: row.id,
    message: `Row ${row.id} does not match the chain: it was edited or added outside the audit writer, or rows before it were changed.`,
  };
}

async function requireChainSchema(db: WaygateDatabase): Promise<void> {
  const result = await dbCall(db, "reading the schema version", () =>
    db.client.execute("SELECT max(version) AS version FROM schema_migrations"),
  );
  const version = Number(result.rows[0]?.version ?? 0);
  if (version < migration0003AuditChain.version) {
    throw new SchemaTooOldError(
      version,
      migration0003AuditChain.version,
      "the audit chain",
      migration0003AuditChain.name,
    );
  }
}

async function readAnchors(db: WaygateDatabase): Promise<Map<number, AnchorDetails>> {
  const result = await dbCall(db, "reading audit anchors", () =>
    db.client.execute({
      sql: "SELECT details FROM system_events WHERE type = ? ORDER BY id",
      args: [ANCHOR_EVENT_TYPE],
    }),
  );
  const anchors = new Map<number, AnchorDetails>();
  for (const row of result.rows) {
    const anchor = parseAnchor(row.details);
    if (anchor) anchors.set(anchor.id, anchor);
  }
  return anchors;
}
