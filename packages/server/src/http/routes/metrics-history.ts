import { parseHistoryQuery } from "@waygate/core";
import type { RequestHandler } from "express";
import { requireScope } from "../../auth/authenticate.js";
import { BadRequestError } from "../../errors/errors.js";
import { sendError } from "../../errors/send-error.js";
import type { GatewayContext } from "../../gateway-context.js";

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
        const parsed = parseHistoryQuery({
          ...Object.fromEntries(
            ["name", "labels", "since", "until", "step"].flatMap((name) => {
              const value = one(query, name);
              return value === undefined ? [] : [[name, value]];
            }),
          ),
        });
        const points = await ctx.store.repos.metrics.history(parsed);
        res.json({
          name: parsed.name,
          labels: parsed.labels,
          since: parsed.since.toISOString(),
          until: parsed.until.toISOString(),
          stepMs: parsed.stepMs,
          points: points.map((p) => ({ at: p.at.toISOString(), value: p.value, samples: p.samples })),
        });
      } catch (error) {
        sendError(res, error, ctx.production);
      }
    },
  ];
}
