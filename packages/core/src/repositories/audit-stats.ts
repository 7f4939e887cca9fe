import type { Row } from "@libsql/client";
import { z } from "zod";
import type { WaygateDatabase } from "../database/create-database.js";
import { parseOrThrow } from "../validation.js";
import { dbCall } from "./db-call.js";

/** The most buckets one stats query returns; a longer range needs a coarser step. */
export const MAX_STATS_BUCKETS = 1440;

/** A time range cut into equal steps, for `commandHistory.stats`. */
export const AuditStatsQuerySchema = z
  .object({
    from: z.date(),
    to: z.date(),
    stepMs: z.number().int().min(1000, "step must be at least 1 s"),
  })
  .refine((q) => q.to.getTime() > q.from.getTime(), { message: "`to` must be after `from`", path: ["to"] })
  .refine((q) => (q.to.getTime() - q.from.getTime()) / q.stepMs <= MAX_STATS_BUCKETS, {
    message: `the range holds more than ${MAX_STATS_BUCKETS} steps: use a larger step or a shorter range`,
    path: ["stepMs"],
  });
export type AuditStatsQuery = z.input<typeof AuditStatsQuerySchema>;

/** Calls in one step of time: how many, how many did not succeed, and latency percentiles (nearest rank). */
export interface AuditStatsBucket {
  /** Start of the step. */
  at: Date;
  calls: number;
  /** Calls whose outcome was not `ok` (error, denied, rate_limited, timeout). */
  errors: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

/** Audit aggregates for plots: every step of the range (empty ones included), overall and per server. */
export interface AuditStats {
  from: Date;
  to: Date;
  stepMs: number;
  buckets: AuditStatsBucket[];
  /** Per upstream or plugin (`null` for requests that named none, such as lists); steps without calls left out. */
  servers: { server: string | null; buckets: AuditStatsBucket[] }[];
}

// Numbers bind as REAL, hence the casts to whole steps. Nearest-rank percentiles with window functions: rank = ceil(p * n / 100), in integer arithmetic.
const bucketSql = (partition: string) => `
  WITH rows AS (
    SELECT CAST((at - ?) / ? AS INTEGER) AS b, ${partition} AS s, duration_ms AS d, outcome,
      ROW_NUMBER() OVER (PARTITION BY CAST((at - ?) / ? AS INTEGER), ${partition} ORDER BY duration_ms) AS rn,
      COUNT(*) OVER (PARTITION BY CAST((at - ?) / ? AS INTEGER), ${partition}) AS n
    FROM command_history WHERE at >= ? AND at < ?)
  SELECT b, s, count(*) AS calls, sum(outcome <> 'ok') AS errors,
    max(CASE WHEN rn = (n * 50 + 99) / 100 THEN d END) AS p50,
    max(CASE WHEN rn = (n * 95 + 99) / 100 THEN d END) AS p95
  FROM rows GROUP BY b, s ORDER BY b`;

function toBucket(row: Row, from: number, stepMs: number): AuditStatsBucket {
  const nullable = (value: unknown) => (value === null || value === undefined ? null : Number(value));
  return {
    at: new Date(from + Number(row.b) * stepMs),
    calls: Number(row.calls),
    errors: Number(row.errors ?? 0),
    p50Ms: nullable(row.p50),
    p95Ms: nullable(row.p95),
  };
}

/** Aggregates `command_history` over a bounded range in steps (two reads, no write). */
export async function queryAuditStats(db: WaygateDatabase, input: AuditStatsQuery): Promise<AuditStats> {
  const query = parseOrThrow(AuditStatsQuerySchema, input, "audit stats query");
  const from = query.from.getTime();
  const to = query.to.getTime();
  const step = query.stepMs;
  const args = [from, step, from, step, from, step, from, to];
  const [overall, perServer] = await dbCall(db, "aggregating command history", () =>
    db.client.batch(
      [
        { sql: bucketSql("NULL"), args },
        { sql: bucketSql("server"), args },
      ],
      "read",
    ),
  );
  const found = new Map((overall?.rows ?? []).map((row) => [Number(row.b), toBucket(row, from, step)]));
  const count = Math.ceil((to - from) / step);
  const buckets = Array.from(
    { length: count },
    (_, b) =>
      found.get(b) ?? { at: new Date(from + b * step), calls: 0, errors: 0, p50Ms: null, p95Ms: null },
  );
  const servers = new Map<string | null, AuditStatsBucket[]>();
  for (const row of perServer?.rows ?? []) {
    const server = row.s === null ? null : String(row.s);
    servers.set(server, [...(servers.get(server) ?? []), toBucket(row, from, step)]);
  }
  return {
    from: query.from,
    to: query.to,
    stepMs: step,
    buckets,
    servers: [...servers].map(([server, list]) => ({ server, buckets: list })),
  };
}
