import { AuditOutcomeSchema } from "@waygate/core";
import type { Request } from "express";
import { z } from "zod";
import { BadRequestError } from "../../errors/errors.js";

const UNITS_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d{1,6})(s|m|h|d)$/;

/** Milliseconds of `30s`, `5m`, `1h` or `7d`; undefined when the text is not such a duration. */
export function durationMs(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * UNITS_MS[match[2] as keyof typeof UNITS_MS];
}

/** A point in time from a query parameter: an ISO 8601 date-time, or a duration (`1h`) meaning that long ago. */
const TimeSchema = z.string().transform((text, ctx) => {
  const ago = durationMs(text);
  if (ago !== undefined) return new Date(Date.now() - ago);
  const parsed = z.iso.datetime({ offset: true }).safeParse(text);
  if (parsed.success) return new Date(parsed.data);
  ctx.addIssue({
    code: "custom",
    message: "give an ISO 8601 date-time (2026-01-31T12:00:00Z) or a duration ago such as 15m, 1h or 7d",
  });
  return z.NEVER;
});

const LimitSchema = z.coerce
  .number()
  .int("limit must be a whole number")
  .min(1, "limit must be between 1 and 1000")
  .max(1000, "limit must be between 1 and 1000");

/** Paging and time window shared by `/admin/audit` and `/admin/events`. */
export const WindowQuerySchema = z.object({
  since: TimeSchema.optional(),
  until: TimeSchema.optional(),
  limit: LimitSchema.optional(),
  cursor: z.string().min(1, "cursor must be the nextCursor of the previous page").optional(),
});

/** Filters of `/admin/audit` (and its export). */
export const AuditQuerySchema = WindowQuerySchema.extend({
  keyId: z.string().min(1).optional(),
  server: z.string().min(1).optional(),
  tool: z.string().min(1).optional(),
  method: z.string().min(1).optional(),
  outcome: AuditOutcomeSchema.optional(),
  requestId: z.string().min(1).optional(),
  format: z.enum(["json", "jsonl", "csv"]).optional(),
}).strict();

/** Filters of `/admin/events`. */
export const EventQuerySchema = WindowQuerySchema.extend({
  level: z.enum(["debug", "info", "warn", "error"]).optional(),
  type: z.string().min(1).optional(),
}).strict();

/** Validates a route's query string; a 400 names each bad parameter and what it accepts. */
export function parseQuery<S extends z.ZodType>(schema: S, req: Request, what: string): z.output<S> {
  const query: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(req.query)) {
    if (typeof value !== "string") {
      throw new BadRequestError(`Invalid ${what}: give '${name}' once, as a plain value`);
    }
    query[name] = value;
  }
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) =>
    issue.code === "unrecognized_keys"
      ? `unknown parameter(s) ${issue.keys.map((k) => `'${k}'`).join(", ")}`
      : `${issue.path.join(".") || "query"}: ${issue.message}`,
  );
  throw new BadRequestError(`Invalid ${what}: ${problems.join("; ")}`);
}

/** The repository's window options from parsed `since`/`until`/`limit`/`cursor`. */
export function windowOf(query: z.output<typeof WindowQuerySchema>) {
  return {
    ...(query.since ? { from: query.since } : {}),
    ...(query.until ? { to: query.until } : {}),
    ...(query.limit ? { limit: query.limit } : {}),
    ...(query.cursor ? { cursor: query.cursor } : {}),
  };
}
