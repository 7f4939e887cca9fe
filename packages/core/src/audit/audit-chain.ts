import { createHash, createHmac, hkdfSync } from "node:crypto";
import type { AuditRow } from "./audit-entry.js";

/** The chain value before the first chained row. */
export const GENESIS_CHAIN = "0".repeat(64);

/** `system_events.type` of an anchor: the chain head at a moment, kept so that deletion behind it verifies. */
export const ANCHOR_EVENT_TYPE = "audit.anchor";

/** The key that links rows, and its public id (stored in anchors, so a verify with another key says so). */
export interface ChainKey {
  key: Buffer;
  id: string;
}

/**
 * Derives the chain key from `WAYGATE_SECRET_KEY` (HKDF-SHA256), so that someone who can edit the database file
 * but does not know the secret cannot forge a chain that verifies. Without a secret the chain is keyed with a fixed
 * value: it still shows edits made without recomputing the chain, and anchors exported elsewhere show the rest.
 */
export function chainKeyOf(secretKey: string | undefined): ChainKey {
  const key = secretKey
    ? Buffer.from(hkdfSync("sha256", secretKey, "waygate", "audit chain v1", 32))
    : Buffer.from("waygate audit chain without a secret key");
  return { key, id: createHash("sha256").update(key).digest("hex").slice(0, 12) };
}

/** The chain value of a row: an HMAC over the previous row's chain and the row's own content (not its id). */
export function chainLink(key: ChainKey, previous: string, row: AuditRow): string {
  return createHmac("sha256", key.key).update(previous).update("\n").update(canonicalRow(row)).digest("hex");
}

/**
 * One row's content as the chain covers it: every column but `id` and `chain`, in a fixed order. A row without a
 * principal (migration 5) is covered as before that column existed, so older chains still verify.
 */
export function canonicalRow(row: AuditRow): string {
  return JSON.stringify(row[11] === null ? row.slice(0, 11) : row);
}

/** Where the chain stands before a write: the last row's id and chain value. */
export interface ChainHead {
  id: number;
  chain: string;
}

/** An anchor as stored in `system_events.details`. */
export interface AnchorDetails {
  /** Id of the last row the anchor covers. */
  id: number;
  chain: string;
  keyId: string;
  /** Rows deleted behind it by retention, when it was written by a prune. */
  pruned?: number;
}
