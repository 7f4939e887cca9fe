import { MetricHistoryQuerySchema } from "@waygate/core";
import type { RequestHandler } from "express";
import { requireScope } from "../../auth/authenticate.js";
import { BadRequestError } from "../../errors/errors.js";
import { sendError } from "../../errors/send-error.js";
import type { GatewayContext } from "../../gateway-context.js";

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
    throw new BadRequestError(
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
      throw new BadRequestError(`Invalid labels: '${text}' is not a JSON object`);
    }
  }
  const labels: Record<string, string> = {};
  for (const pair of text.split(",").filter((p) => p.length > 0)) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new BadRequestError(`Invalid labels: '${pair}' is not name=value`);
    labels[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return labels;
}

function one(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new BadRequestError(`Give ${name} once, as text`);
  return value;
}

/**
 * `GET /metrics/history?name=&labels=&since=&until=&step=` (`metrics:read`): the roll-ups every replica wrote,
 * bucketed by `step`, counters summed and other metrics maxed across instances. `since` is required and the range
 * may hold at most 10000 steps, so no query scans without bound.
 */
export function metricsHistoryHandlers(ctx: GatewayContext): RequestHandler[] {
  return [
    requireScope("metrics:read", ctx.production),
    async (req, res) => {
      try {
        const query = req.query as Record<string, unknown>;
        const now = Date.now();
        const name = one(query, "name");
        const since = one(query, "since");
        const step = one(query, "step") ?? "60s";
        if (!name) throw new BadRequestError("Give the metric's name, e.g. ?name=waygate_calls_total");
        if (!since) {
          throw new BadRequestError(
            "Give since (e.g. since=24h or an ISO time): an unbounded range is refused; until defaults to now",
          );
        }
        const stepMs = parseDuration(step);
        if (stepMs === undefined)
          throw new BadRequestError(`Invalid step '${step}': give a duration like 60s, 5m or 1h`);
        const until = one(query, "until");
        const parsed = MetricHistoryQuerySchema.safeParse({
          name,
          labels: parseLabels(one(query, "labels") ?? ""),
          since: parseInstant(since, now, "since"),
          until: until ? parseInstant(until, now, "until") : new Date(now),
          stepMs,
        });
        if (!parsed.success) {
          const problems = parsed.error.issues
            .map((i) => `${i.path.join(".") || "query"}: ${i.message}`)
            .join("; ");
          throw new BadRequestError(`Invalid history query: ${problems}`);
        }
        const points = await ctx.store.repos.metrics.history(parsed.data);
        res.json({
          name: parsed.data.name,
          labels: parsed.data.labels,
          since: parsed.data.since.toISOString(),
          until: parsed.data.until.toISOString(),
          stepMs: parsed.data.stepMs,
          points: points.map((p) => ({ at: p.at.toISOString(), value: p.value, samples: p.samples })),
        });
      } catch (error) {
        sendError(res, error, ctx.production);
      }
    },
  ];
}
