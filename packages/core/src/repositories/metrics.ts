import type { Row } from "@libsql/client";
import { z } from "zod";
import type { Clock } from "../clock.js";
import type { WaygateDatabase } from "../database/create-database.js";
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

/** Periodic metric roll-ups, kept for history beyond what Prometheus scrapes hold. */
export interface MetricsRepository {
  /** Writes samples in one transaction; returns how many. */
  recordMany(samples: readonly MetricSample[]): Promise<number>;
  /** Newest first for one metric name. */
  query(query: MetricQuery): Promise<Page<MetricRecord>>;
  /** Deletes samples older than `before`; returns how many. */
  prune(before: Date): Promise<number>;
}

/** Creates the metrics repository. */
export function createMetricsRepository(db: WaygateDatabase, clock: Clock): MetricsRepository {
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
