import { type Router as ExpressRouter, Router as expressRouter } from "express";
import { sendError } from "../../errors/send-error.js";
import type { GatewayContext } from "../../gateway-context.js";
import { EventQuerySchema, parseQuery, windowOf } from "./history-query.js";

/** `/admin/events`: the gateway's system events (starts, reloads, crashes, revocations), filtered and paged. */
export function adminEventRoutes(ctx: GatewayContext): ExpressRouter {
  const routes = expressRouter();
  routes.get("/", async (req, res) => {
    try {
      const query = parseQuery(EventQuerySchema, req, "events query");
      const page = await ctx.store.repos.systemEvents.list({
        ...windowOf(query),
        ...(query.level ? { level: query.level } : {}),
        ...(query.type ? { type: query.type } : {}),
      });
      res.json({
        items: page.items.map((event) => ({ ...event, at: event.at.toISOString() })),
        nextCursor: page.nextCursor,
      });
    } catch (error) {
      sendError(res, error, ctx.production);
    }
  });
  return routes;
}
