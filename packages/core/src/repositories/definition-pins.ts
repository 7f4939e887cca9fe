import type { InStatement, Row } from "@libsql/client";
import { z } from "zod";
import type { Clock } from "../clock.js";
import type { WaygateDatabase } from "../database/create-database.js";
import { InvalidInputError, NotFoundError } from "../errors.js";
import { dbCall, parseJsonColumn, toDate } from "./db-call.js";

/** What kind of definition a pin holds. */
export const PinKindSchema = z.enum(["tool", "prompt", "resource_template"]);
export type PinKind = z.infer<typeof PinKindSchema>;

/** Where a pin stands: approved, or a new, changed, removed or rejected definition waiting for a decision. */
export const PinStatusSchema = z.enum(["approved", "new", "changed", "removed", "rejected"]);
export type PinStatus = z.infer<typeof PinStatusSchema>;

/** One definition as a server serves it now, with its canonical hash (computed by the caller). */
export interface ObservedDefinition {
  kind: PinKind;
  name: string;
  hash: string;
  definition: unknown;
}

/** A stored pin. */
export interface PinRecord {
  server: string;
  kind: PinKind;
  name: string;
  status: PinStatus;
  approvedHash: string | null;
  approvedDefinition: unknown;
  /** What the server serves now (null once it was removed). */
  currentHash: string | null;
  currentDefinition: unknown;
  firstSeenAt: Date;
  updatedAt: Date;
  decidedAt: Date | null;
  /** Key id (or `cli`) of who approved or rejected it last. */
  decidedBy: string | null;
}

/** What one observation changed. `first`: approved on first sight; `restored`: back to the approved definition. */
export interface PinChange {
  server: string;
  kind: PinKind;
  name: string;
  change: "first" | "new" | "changed" | "removed" | "restored";
}

/** Which pins an approval or rejection is for: one definition, one kind of a server, a server, or every server. */
export interface PinTarget {
  server?: string;
  kind?: PinKind;
  name?: string;
  /** The hash the operator saw; refused when the server now serves something else. */
  hash?: string;
}

/** An approval or rejection named a definition whose pending version is no longer the one the caller saw. */
export class PinOutdatedError extends InvalidInputError {
  static override readonly kind: string = "PinOutdatedError";
  readonly current: PinRecord;
  constructor(current: PinRecord, seen: string) {
    super(
      `${current.server}/${current.name} (${current.kind}) changed again: you saw ${seen}, the server now serves ${current.currentHash ?? "nothing"}. Look at the current diff and decide on that.`,
      [{ path: "hash", message: "no longer the pending definition" }],
    );
    this.current = current;
  }
}

/** The pins of every server's tools, prompts and resource templates (definition pinning). */
export interface DefinitionPinsRepository {
  /**
   * Compares what `server` serves now, for the `kinds` listed, with its pins: a kind seen for the first time is
   * approved as it is; later a new or changed definition waits for approval and a missing one is marked removed.
   * Returns the server's pins of those kinds after the update and what changed.
   */
  observe(
    server: string,
    kinds: readonly PinKind[],
    definitions: readonly ObservedDefinition[],
  ): Promise<{ pins: PinRecord[]; changes: PinChange[] }>;
  /** Pins, optionally of one server or status, ordered by server, kind and name. */
  list(query?: { server?: string; status?: PinStatus }): Promise<PinRecord[]>;
  /** Approves every pending (new or changed) pin the target names; returns them. Removed pins are dropped. */
  approve(target: PinTarget, decidedBy: string | null): Promise<PinRecord[]>;
  /** Rejects one pending definition: it stays hidden until the server serves another one. */
  reject(
    target: Required<Pick<PinTarget, "server" | "kind" | "name">> & PinTarget,
    decidedBy: string | null,
  ): Promise<PinRecord>;
  /** Servers whose pins changed after `since` (epoch ms), so other replicas can reload their lists. */
  changedSince(since: number): Promise<{ servers: string[]; latest: number }>;
}

const COLUMNS = `server, kind, name, status, approved_hash, approved_definition, current_hash, current_definition,
  first_seen_at, updated_at, decided_at, decided_by`;
const PENDING: readonly PinStatus[] = ["new", "changed"];

/** Creates the definition-pins repository. */
export function createDefinitionPinsRepository(db: WaygateDatabase, clock: Clock): DefinitionPinsRepository {
  const select = async (where: string, args: (string | number)[]) => {
    const result = await dbCall(db, "reading definition pins", () =>
      db.client.execute({
        sql: `SELECT ${COLUMNS} FROM definition_pins ${where} ORDER BY server, kind, name`,
        args,
      }),
    );
    return result.rows.map(toRecord);
  };

  const write = (action: string, statements: InStatement[]) =>
    statements.length === 0
      ? Promise.resolve()
      : dbCall(db, action, () => db.client.batch(statements, "write")).then(() => undefined);

  const targetWhere = (target: PinTarget) => {
    const where: string[] = [];
    const args: string[] = [];
    for (const [column, value] of [
      ["server", target.server],
      ["kind", target.kind],
      ["name", target.name],
    ] as const) {
      if (value !== undefined) {
        where.push(`${column} = ?`);
        args.push(value);
      }
    }
    return { where, args };
  };

  return {
    async observe(server, kinds, definitions) {
      const now = clock();
      const kindList = kinds.map(() => "?").join(", ");
      const existing =
        kinds.length === 0
          ? []
          : await select(`WHERE server = ? AND kind IN (${kindList})`, [server, ...kinds]);
      const byKey = new Map(existing.map((pin) => [`${pin.kind}\u0000${pin.name}`, pin]));
      const seenKinds = new Set(existing.map((pin) => pin.kind));
      const statements: InStatement[] = [];
      const changes: PinChange[] = [];
      const seen = new Set<string>();

      for (const definition of definitions) {
        const key = `${definition.kind}\u0000${definition.name}`;
        seen.add(key);
        const json = JSON.stringify(definition.definition);
        const pin = byKey.get(key);
        if (!pin) {
          // Trust on first use, per kind: what a server serves the first time it is listed is approved as it is.
          const first = !seenKinds.has(definition.kind);
          statements.push({
            sql: `INSERT INTO definition_pins (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)
              ON CONFLICT (server, kind, name) DO NOTHING`,
            args: [
              server,
              definition.kind,
              definition.name,
              first ? "approved" : "new",
              first ? definition.hash : null,
              first ? json : null,
              definition.hash,
              json,
              now,
              now,
            ],
          });
          changes.push({
            server,
            kind: definition.kind,
            name: definition.name,
            change: first ? "first" : "new",
          });
          continue;
        }
        if (pin.approvedHash === definition.hash) {
          if (pin.status === "approved" && pin.currentHash === definition.hash) continue;
          statements.push(update(server, definition, "approved", json, now));
          changes.push({ server, kind: definition.kind, name: definition.name, change: "restored" });
          continue;
        }
        if (pin.currentHash === definition.hash && pin.status !== "removed") continue;
        const status: PinStatus = pin.approvedHash === null ? "new" : "changed";
        statements.push(update(server, definition, status, json, now));
        changes.push({
          server,
          kind: definition.kind,
          name: definition.name,
          change: status === "new" ? "new" : "changed",
        });
      }
      for (const pin of existing) {
        if (seen.has(`${pin.kind}\u0000${pin.name}`) || pin.status === "removed") continue;
        statements.push({
          sql: `UPDATE definition_pins SET status = 'removed', current_hash = NULL, current_definition = NULL, updated_at = ?
            WHERE server = ? AND kind = ? AND name = ?`,
          args: [now, server, pin.kind, pin.name],
        });
        changes.push({ server, kind: pin.kind, name: pin.name, change: "removed" });
      }
      await write("recording definition pins", statements);
      const pins =
        statements.length === 0
          ? existing
          : await select(`WHERE server = ? AND kind IN (${kindList})`, [server, ...kinds]);
      return { pins, changes };
    },

    async list(query = {}) {
      const where: string[] = [];
      const args: string[] = [];
      if (query.server !== undefined) {
        where.push("server = ?");
        args.push(query.server);
      }
      if (query.status !== undefined) {
        where.push("status = ?");
        args.push(PinStatusSchema.parse(query.status));
      }
      return select(where.length ? `WHERE ${where.join(" AND ")}` : "", args);
    },

    async approve(target, decidedBy) {
      const { where, args } = targetWhere(target);
      const candidates = await select(
        `WHERE ${[...where, "status IN ('new', 'changed', 'removed', 'rejected')"].join(" AND ")}`,
        args,
      );
      if (target.name !== undefined && candidates.length === 0) {
        throw new NotFoundError(
          `No pending definition ${target.server}/${target.name}${target.kind ? ` (${target.kind})` : ""}: list them with \`waygate pins list\``,
        );
      }
      if (target.hash !== undefined) {
        const stale = candidates.find((pin) => pin.currentHash !== target.hash);
        if (stale) throw new PinOutdatedError(stale, target.hash);
      }
      const now = clock();
      const statements: InStatement[] = candidates.map((pin) =>
        pin.status === "removed"
          ? {
              sql: "DELETE FROM definition_pins WHERE server = ? AND kind = ? AND name = ? AND status = 'removed'",
              args: [pin.server, pin.kind, pin.name],
            }
          : {
              sql: `UPDATE definition_pins SET status = 'approved', approved_hash = current_hash,
                  approved_definition = current_definition, decided_at = ?, decided_by = ?, updated_at = ?
                WHERE server = ? AND kind = ? AND name = ? AND current_hash IS ?`,
              args: [now, decidedBy, now, pin.server, pin.kind, pin.name, pin.currentHash],
            },
      );
      await write("approving definition pins", statements);
      return candidates;
    },

    async reject(target, decidedBy) {
      const { where, args } = targetWhere(target);
      const [pin] = await select(`WHERE ${where.join(" AND ")}`, args);
      if (!pin || !PENDING.includes(pin.status)) {
        throw new NotFoundError(
          `No pending definition ${target.server}/${target.name} (${target.kind}) to reject: list them with \`waygate pins list\``,
        );
      }
      if (target.hash !== undefined && pin.currentHash !== target.hash)
        throw new PinOutdatedError(pin, target.hash);
      const now = clock();
      await write("rejecting a definition pin", [
        {
          sql: `UPDATE definition_pins SET status = 'rejected', decided_at = ?, decided_by = ?, updated_at = ?
            WHERE server = ? AND kind = ? AND name = ? AND current_hash IS ?`,
          args: [now, decidedBy, now, pin.server, pin.kind, pin.name, pin.currentHash],
        },
      ]);
      return { ...pin, status: "rejected", decidedAt: new Date(now), decidedBy, updatedAt: new Date(now) };
    },

    async changedSince(since) {
      const result = await dbCall(db, "reading definition pin changes", () =>
        db.client.execute({
          sql: "SELECT DISTINCT server, (SELECT max(updated_at) FROM definition_pins) AS latest FROM definition_pins WHERE updated_at > ?",
          args: [since],
        }),
      );
      const latest = Number(result.rows[0]?.latest ?? since);
      return { servers: result.rows.map((row) => String(row.server)), latest };
    },
  };
}

function update(
  server: string,
  definition: ObservedDefinition,
  status: PinStatus,
  json: string,
  now: number,
): InStatement {
  return {
    sql: `UPDATE definition_pins SET status = ?, current_hash = ?, current_definition = ?, updated_at = ?
      WHERE server = ? AND kind = ? AND name = ?`,
    args: [status, definition.hash, json, now, server, definition.kind, definition.name],
  };
}

function toRecord(row: Row): PinRecord {
  const text = (value: unknown) => (value === null || value === undefined ? null : String(value));
  return {
    server: String(row.server),
    kind: row.kind as PinKind,
    name: String(row.name),
    status: row.status as PinStatus,
    approvedHash: text(row.approved_hash),
    approvedDefinition: parseJsonColumn(row.approved_definition, null),
    currentHash: text(row.current_hash),
    currentDefinition: parseJsonColumn(row.current_definition, null),
    firstSeenAt: new Date(Number(row.first_seen_at)),
    updatedAt: new Date(Number(row.updated_at)),
    decidedAt: toDate(row.decided_at),
    decidedBy: text(row.decided_by),
  };
}
