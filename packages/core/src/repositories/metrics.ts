import type { Row } from "@libsql/client";
import { z } from "zod";
import type { Clock } from "../clock.js";
import type { WaygateDatabase } from "../database/create-database.js";
import { InvalidInputError } from "../errors.js";
import { isSecretKeyName, REDACTED } from "../redact.js";
import { parseOrThrow } from "../validation.js";
import { dbCall } from "./db-call.js";
import { type Page, PageQuerySchema, pageConditions, toPage } from "./page.js";

const MetricNameSchema = z
  .string()
  .regex(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,127}$/, "must be a Prometheus-style name like waygate_tool_calls_total");

/** One roll-up value to store. */
export const MetricSampleSchema = z.object({
  name: MetricNameSchema,
  labels: z.record(z.string().min(1).max(64), z.string().max(256)).default({}),
  value: z.number().finite(),
  at: z.date().optional(),
});
export type MetricSample = z.input<typeof MetricSampleSchema>;

/** A stored roll-up value. */
export interface MetricRecord {
  id: number;
  name: string;
  labels: Record<string, string>;
  value: number;
  at: Date;
}

/** Filters for `metrics.query`: one metric name, optionally exact labels. */
export const MetricQuerySchema = PageQuerySchema.extend({
  name: MetricNameSchema,
  labels: z.record(z.string(), z.string()).optional(),
});
export type MetricQuery = z.input<typeof MetricQuerySchema>;

/** The most points one history query may return, so no query can ask the database for an unbounded scan. */
export const MAX_HISTORY_POINTS = 10_000;

/** Filters for `metrics.history`: a metric, labels it must carry (a subset), a closed time range and a step. */
export const MetricHistoryQuerySchema = z
  .object({
    name: MetricNameSchema,
    labels: z
      .record(
        z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/, "must be a label name like server"),
        z.string().max(256),
      )
      .default({}),
    since: z.date(),
    until: z.date(),
    /** Bucket width in milliseconds: at least a second, at most a day. */
    stepMs: z.number().int().min(1000).max(86_400_000),
  })
  .superRefine((query, ctx) => {
    const span = query.until.getTime() - query.since.getTime();
    if (span <= 0) ctx.addIssue({ code: "custom", path: ["until"], message: "must be after since" });
    else if (span / query.stepMs > MAX_HISTORY_POINTS) {
      ctx.addIssue({
        code: "custom",
        path: ["stepMs"],
        message: `gives more than ${MAX_HISTORY_POINTS} points for this range; use a larger step or a shorter range`,
      });
    }
  });
export type MetricHistoryQuery = z.input<typeof MetricHistoryQuerySchema>;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `5m`, `1h`, `7d` or a number of milliseconds; undefined when it is none of these. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,9})(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * (UNIT_MS[match[2] ?? "ms"] ?? 1);
}

/** An instant: ISO 8601, milliseconds since the epoch, or a duration before `now` (`24h` = a day ago). */
function parseInstant(text: string, now: number, what: string): Date {
  const ago = /^\d+(ms|s|m|h|d)$/.test(text.trim()) ? parseDuration(text) : undefined;
  const date =
    ago !== undefined ? new Date(now - ago) : /^\d+$/.test(text) ? new Date(Number(text)) : new Date(text);
  if (Number.isNaN(date.getTime())) {
    throw new InvalidInputError(
      `Invalid ${what} '${text}': give an ISO 8601 time, milliseconds since the epoch, or a duration ago such as 24h`,
    );
  }
  return date;
}

/** `name=value,other=value` or a JSON object. */
function parseLabels(text: string): Record<string, string> {
  if (text.trim().startsWith("{")) {
    try {
      return JSON.parse(text) as Record<string, string>;
    } catch {
      throw new InvalidInputError(`Invalid labels: '${text}' is not a JSON object`);
    }
  }
  const labels: Record<string, string> = {};
  for (const pair of text.split(",").filter((p) => p.length > 0)) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new InvalidInputError(`Invalid labels: '${pair}' is not name=value`);
    labels[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return labels;
}

/**
 * A history query from text (HTTP query or CLI flags): `since` is required (an open range is refused), `until`
 * defaults to now, `step` to 60s. Throws InvalidInputError naming the bad part.
 */
export function parseHistoryQuery(
  input: { name?: string; labels?: string; since?: string; until?: string; step?: string },
  now: number = Date.now(),
): z.output<typeof MetricHistoryQuerySchema> {
  if (!input.name) throw new InvalidInputError("Give the metric's name, e.g. name=waygate_calls_total");
  if (!input.since) {
    throw new InvalidInputError(
      "Give since (e.g. since=24h or an ISO time): an unbounded range is refused; until defaults to now",
    );
  }
  const step = input.step ?? "60s";
  const stepMs = parseDuration(step);
  if (stepMs === undefined)
    throw new InvalidInputError(`Invalid step '${step}': give a duration like 60s, 5m or 1h`);
  return parseOrThrow(
    MetricHistoryQuerySchema,
    {
      name: input.name,
      labels: parseLabels(input.labels ?? ""),
      since: parseInstant(input.since, now, "since"),
      until: input.until ? parseInstant(input.until, now, "until") : new Date(now),
      stepMs,
    },
    "history query",
  );
}

/** One bucket of a history query: its start, the combined value and how many rows went into it. */
export interface MetricHistoryPoint {
  at: Date;
  value: number;
  samples: number;
}

/**
 * Counters (names ending in `_total`) add up across instances, label sets and time; every other metric (a gauge, a
 * latency quantile) combines by its maximum, since adding two replicas' p95 gives no p95.
 */
export function isCounterMetric(name: string): boolean {
  return name.endsWith("_total");
}

/** Buckets merged per downsampling transaction. */
const DOWNSAMPLE_BUCKETS_PER_BATCH = 6;

/** Periodic metric roll-ups, kept for history beyond what Prometheus scrapes hold. */
export interface MetricsRepository {
  /** Writes samples in one transaction; returns how many. */
  recordMany(samples: readonly MetricSample[]): Promise<number>;
  /** Newest first for one metric name. */
  query(query: MetricQuery): Promise<Page<MetricRecord>>;
  /** Deletes samples older than `before`; returns how many. */
  prune(before: Date): Promise<number>;
  /** Buckets of one metric over a closed range, summed (counters) or maxed (the rest) across instances and labels. */
  history(query: MetricHistoryQuery): Promise<MetricHistoryPoint[]>;
  /**
   * Merges the rows before `before` into one row per metric, label set and `stepMs` bucket (counters summed, the
   * rest maxed), so totals survive; idempotent. Returns how many rows were merged away.
   */
  downsample(before: Date, stepMs?: number): Promise<number>;
}

/** Creates the metrics repository. */
export function createMetricsRepository(db: WaygateDatabase, clock: Clock): MetricsRepository {
  /** Merges the rows of [from, to) (ids up to maxId) into one per metric, label set and bucket, in one batch. */
  async function downsampleRange(from: number, to: number, maxId: number, stepMs: number): Promise<number> {
    // Groups that are not yet one aligned row: several rows in a bucket, or a row off the bucket's start.
    // Parameters arrive as REAL; the casts keep `at / step` an integer division.
    const pending = `at >= ? AND at < ? AND id <= ? AND (name, labels, at / CAST(? AS INTEGER)) IN (
        SELECT name, labels, at / CAST(? AS INTEGER) FROM metrics WHERE at >= ? AND at < ? AND id <= ?
        GROUP BY name, labels, at / CAST(? AS INTEGER) HAVING count(*) > 1 OR max(at % CAST(? AS INTEGER)) > 0)`;
    const pendingArgs = [from, to, maxId, stepMs, stepMs, from, to, maxId, stepMs, stepMs];
    const results = await dbCall(db, "downsampling metrics", () =>
      db.client.batch(
        [
          {
            sql: `INSERT INTO metrics (name, labels, value, at)
              SELECT name, labels, CASE WHEN name LIKE '%\\_total' ESCAPE '\\' THEN sum(value) ELSE max(value) END,
                (at / CAST(? AS INTEGER)) * CAST(? AS INTEGER)
              FROM metrics WHERE ${pending} GROUP BY name, labels, at / CAST(? AS INTEGER)`,
            args: [stepMs, stepMs, ...pendingArgs, stepMs],
          },
          { sql: `DELETE FROM metrics WHERE ${pending}`, args: pendingArgs },
        ],
        "write",
      ),
    );
    return (results[1]?.rowsAffected ?? 0) - (results[0]?.rowsAffected ?? 0);
  }

  return {
    async recordMany(samples) {
      if (samples.length === 0) return 0;
      const now = clock();
      const statements = samples.map((input, index) => {
        const sample = parseOrThrow(MetricSampleSchema, input, `metric sample at index ${index}`);
        return {
          sql: "INSERT INTO metrics (name, labels, value, at) VALUES (?, ?, ?, ?)",
          args: [sample.name, canonicalLabels(sample.labels), sample.value, sample.at?.getTime() ?? now],
        };
      });
      await dbCall(db, "recording metrics", () => db.client.batch(statements, "write"));
      return statements.length;
    },
    async query(input) {
      const query = parseOrThrow(MetricQuerySchema, input, "metric query");
      const { where, args } = pageConditions(query);
      where.push("name = ?");
      args.push(query.name);
      if (query.labels) {
        where.push("labels = ?");
        args.push(canonicalLabels(query.labels));
      }
      const sql = `SELECT id, name, labels, value, at FROM metrics WHERE ${where.join(" AND ")} ORDER BY at DESC, id DESC LIMIT ?`;
      const result = await dbCall(db, "querying metrics", () =>
        db.client.execute({ sql, args: [...args, query.limit + 1] }),
      );
      return toPage(result.rows, query.limit, toRecord);
    },
    async history(input) {
      const query = parseOrThrow(MetricHistoryQuerySchema, input, "metric history query");
      const where = ["name = ?", "at >= ?", "at < ?"];
      const args: (string | number)[] = [query.name, query.since.getTime(), query.until.getTime()];
      for (const [key, value] of Object.entries(query.labels)) {
        where.push("json_extract(labels, ?) = ?");
        args.push(`$."${key}"`, value);
      }
      const combine = isCounterMetric(query.name) ? "sum(value)" : "max(value)";
      const since = query.since.getTime();
      const sql = `SELECT (at - CAST(? AS INTEGER)) / CAST(? AS INTEGER) AS bucket, ${combine} AS value, count(*) AS samples FROM metrics
        WHERE ${where.join(" AND ")} GROUP BY bucket ORDER BY bucket`;
      const result = await dbCall(db, "reading metric history", () =>
        db.client.execute({ sql, args: [since, query.stepMs, ...args] }),
      );
      return result.rows.map((row) => ({
        at: new Date(since + Number(row.bucket) * query.stepMs),
        value: Number(row.value),
        samples: Number(row.samples),
      }));
    },
    async downsample(before, stepMs = 3_600_000) {
      // Only whole buckets before the cut, so a bucket is never half merged.
      const cut = Math.floor(before.getTime() / stepMs) * stepMs;
      const bounds = await dbCall(db, "downsampling metrics", () =>
        db.client.execute({ sql: "SELECT max(id), min(at) FROM metrics WHERE at < ?", args: [cut] }),
      );
      const maxId = Number(bounds.rows[0]?.[0] ?? 0);
      if (maxId === 0) return 0;
      const first = Math.floor(Number(bounds.rows[0]?.[1]) / stepMs) * stepMs;
      let merged = 0;
      // A few buckets per transaction, so the write lock is never held for long (audit writes wait behind it).
      for (let from = first; from < cut; from += DOWNSAMPLE_BUCKETS_PER_BATCH * stepMs) {
        const to = Math.min(cut, from + DOWNSAMPLE_BUCKETS_PER_BATCH * stepMs);
        merged += await downsampleRange(from, to, maxId, stepMs);
      }
      return merged;
    },
    async prune(before) {
      const result = await dbCall(db, "pruning metrics", () =>
        db.client.execute({ sql: "DELETE FROM metrics WHERE at < ?", args: [before.getTime()] }),
      );
      return result.rowsAffected;
    },
  };
}

/** Labels as JSON with sorted keys, so equal label sets compare equal; secret-named labels are hidden. */
function canonicalLabels(labels: Record<string, string>): string {
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(labels).sort()) {
    sorted[key] = isSecretKeyName(key) ? REDACTED : (labels[key] ?? "");
  }
  return JSON.stringify(sorted);
}

function toRecord(row: Row): MetricRecord {
  return {
    id: Number(row.id),
    name: String(row.name),
    labels: JSON.parse(String(row.labels)) as Record<string, string>,
    value: Number(row.value),
    at: new Date(Number(row.at)),
  };
}
