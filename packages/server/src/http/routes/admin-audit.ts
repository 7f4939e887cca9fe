import { type Router as ExpressRouter, Router as expressRouter } from "express";
import { z } from "zod";
import { BadRequestError, NotFoundError } from "../../errors/errors.js";
import { sendError } from "../../errors/send-error.js";
import type { GatewayContext } from "../../gateway-context.js";
import { auditRowJson, sendAuditExport } from "./audit-export.js";
import { AuditQuerySchema, durationMs, parseQuery, WindowQuerySchema, windowOf } from "./history-query.js";

const StatsQuerySchema = z
  .object({
    since: WindowQuerySchema.shape.since,
    until: WindowQuerySchema.shape.until,
    step: z
      .string()
      .transform((text, ctx) => {
        const ms = durationMs(text) ?? (/^\d{1,7}$/.test(text) ? Number(text) * 1000 : undefined);
        if (ms !== undefined) return ms;
        ctx.addIssue({
          code: "custom",
          message: "give seconds (60) or a duration such as 30s, 1m, 5m or 1h",
        });
        return z.NEVER;
      })
      .optional(),
  })
  .strict();

/** The filter of a list or export request: the query string without format, as core's query options. */
function filterOf(query: z.output<typeof AuditQuerySchema>) {
  const { since: _s, until: _u, limit: _l, cursor: _c, format: _f, ...columns } = query;
  return { ...columns, ...windowOf(query) };
}

/** `/admin/audit`: the audit trail filtered and paged, one row, exports (JSONL, CSV) and aggregates for plots. */
export function adminAuditRoutes(ctx: GatewayContext): ExpressRouter {
  const routes = expressRouter();
  const history = ctx.store.repos.commandHistory;

  routes.get("/", async (req, res) => {
    try {
      const query = parseQuery(AuditQuerySchema, req, "audit query");
      const filter = filterOf(query);
      if (query.format === "jsonl" || query.format === "csv") {
        if (!query.since) {
          throw new BadRequestError(
            "Invalid audit export: bound it with since (an ISO 8601 date-time or a duration ago such as 24h)",
          );
        }
        const { limit: _limit, cursor: _cursor, ...exported } = filter;
        return await sendAuditExport(res, history, exported, query.format);
      }
      const page = await history.query(filter);
      res.json({ items: page.items.map(auditRowJson), nextCursor: page.nextCursor });
    } catch (error) {
      if (res.headersSent) return res.destroy(error instanceof Error ? error : undefined);
      sendError(res, error, ctx.production);
    }
  });

  routes.get("/stats", async (req, res) => {
    try {
      // Read before `since` is parsed: a duration ago then spans at most that duration, so `since=1h&step=5m` has
      // 12 steps, not a 13th for the milliseconds the parse took.
      const now = new Date();
      const query = parseQuery(StatsQuerySchema, req, "audit stats query");
      if (!query.since) {
        throw new BadRequestError(
          "Invalid audit stats query: give since (an ISO 8601 date-time or a duration ago such as 1h) to bound the range",
        );
      }
      const to = query.until ?? now;
      const stepMs = query.step ?? 60_000;
      const stats = await history.stats({ from: query.since, to, stepMs });
      res.json(stats);
    } catch (error) {
      sendError(res, error, ctx.production);
    }
  });

  routes.get("/:id", async (req, res) => {
    try {
      const id = String(req.params.id);
      if (!/^[1-9]\d{0,15}$/.test(id)) {
        throw new BadRequestError(
          `Invalid audit row id '${id}': give the numeric id of a row from /admin/audit`,
        );
      }
      const record = await history.get(Number(id));
      if (!record) throw new NotFoundError("not_found", `No audit row with id ${id}`);
      res.json({ item: auditRowJson(record) });
    } catch (error) {
      sendError(res, error, ctx.production);
    }
  });

  return routes;
}
