import type { Row } from "@libsql/client";
import { z } from "zod";
import type { Clock } from "../clock.js";
import type { WaygateDatabase } from "../database/create-database.js";
import { redactArguments } from "../redact.js";
import { parseOrThrow } from "../validation.js";
import { dbCall, parseJsonColumn } from "./db-call.js";
import { type Page, PageQuerySchema, pageConditions, toPage } from "./page.js";

/** Severity of a system event. */
export const SystemEventLevelSchema = z.enum(["debug", "info", "warn", "error"]);

/** What a caller passes to `systemEvents.record`. */
export const SystemEventInputSchema = z.object({
  level: SystemEventLevelSchema,
  type: z.string().regex(/^[a-zA-Z0-9_.:-]{1,64}$/, "must be 1-64 characters like `upstream.crashed`"),
  message: z.string().min(1).max(4000),
  details: z.unknown().optional(),
  at: z.date().optional(),
});
export type SystemEventInput = z.input<typeof SystemEventInputSchema>;

/** A stored system event; `details` has secrets redacted. */
export interface SystemEventRecord {
  id: number;
  level: z.infer<typeof SystemEventLevelSchema>;
  type: string;
  message: string;
  details: unknown;
  at: Date;
}

/** Filters for `systemEvents.list`. */
export const SystemEventQuerySchema = PageQuerySchema.extend({
  level: SystemEventLevelSchema.optional(),
  type: z.string().optional(),
});
export type SystemEventQuery = z.input<typeof SystemEventQuerySchema>;

/** Start, stop, reload, upstream crashes, key revocations: the gateway's own log of notable events. */
export interface SystemEventsRepository {
  /** Stores one event and returns it as stored. */
  record(event: SystemEventInput): Promise<SystemEventRecord>;
  /** Newest first, filtered and paged. */
  list(query?: SystemEventQuery): Promise<Page<SystemEventRecord>>;
  /** One event by id, or null. */
  get(id: number): Promise<SystemEventRecord | null>;
  /** Deletes events older than `before`; returns how many. */
  prune(before: Date): Promise<number>;
}

const MAX_DETAILS_BYTES = 16 * 1024;

/** The INSERT for one already-validated event, for callers that batch it with their own writes. */
export function systemEventStatement(
  event: z.output<typeof SystemEventInputSchema>,
  now: number,
): { sql: string; args: [string, string, string, string | null, number] } {
  const details =
    event.details === undefined
      ? null
      : JSON.stringify(redactArguments(event.details, { maxBytes: MAX_DETAILS_BYTES }));
  return {
    sql: "INSERT INTO system_events (level, type, message, details, at) VALUES (?, ?, ?, ?, ?) RETURNING id",
    args: [event.level, event.type, event.message, details ?? null, event.at?.getTime() ?? now],
  };
}

function eventOfRow(row: Row): SystemEventRecord {
  return {
    id: Number(row.id),
    level: row.level as SystemEventRecord["level"],
    type: String(row.type),
    message: String(row.message),
    details: parseJsonColumn(row.details, null),
    at: new Date(Number(row.at)),
  };
}

/** Creates the system-events repository. */
export function createSystemEventsRepository(db: WaygateDatabase, clock: Clock): SystemEventsRepository {
  return {
    async record(input) {
      const event = parseOrThrow(SystemEventInputSchema, input, "system event");
      const statement = systemEventStatement(event, clock());
      const result = await dbCall(db, "recording a system event", () => db.client.execute(statement));
      const args = statement.args;
      return {
        id: Number(result.rows[0]?.[0]),
        level: event.level,
        type: event.type,
        message: event.message,
        details: parseJsonColumn(args[3], null),
        at: new Date(Number(args[4])),
      };
    },
    async list(input = {}) {
      const query = parseOrThrow(SystemEventQuerySchema, input, "system event query");
      const { where, args } = pageConditions(query);
      if (query.level) {
        where.push("level = ?");
        args.push(query.level);
      }
      if (query.type) {
        where.push("type = ?");
        args.push(query.type);
      }
      const sql = `SELECT id, level, type, message, details, at FROM system_events ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY at DESC, id DESC LIMIT ?`;
      const result = await dbCall(db, "listing system events", () =>
        db.client.execute({ sql, args: [...args, query.limit + 1] }),
      );
      return toPage(result.rows, query.limit, eventOfRow);
    },
    async get(id) {
      const result = await dbCall(db, "reading a system event", () =>
        db.client.execute({
          sql: "SELECT id, level, type, message, details, at FROM system_events WHERE id = ?",
          args: [id],
        }),
      );
      const row = result.rows[0];
      return row ? eventOfRow(row) : null;
    },
    async prune(before) {
      const result = await dbCall(db, "pruning system events", () =>
        db.client.execute({ sql: "DELETE FROM system_events WHERE at < ?", args: [before.getTime()] }),
      );
      return result.rowsAffected;
    },
  };
}
