import type { SystemEventRecord } from "@waygate/core";
import { type Router as ExpressRouter, Router as expressRouter } from "express";
import { BadRequestError, NotFoundError } from "../../errors/errors.js";
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
        items: page.items.map(eventJson),
        nextCursor: page.nextCursor,
      });
    } catch (error) {
      sendError(res, error, ctx.production);
    }
  });
  routes.get("/:id", async (req, res) => {
    try {
      const id = String(req.params.id);
      if (!/^[1-9]\d{0,15}$/.test(id)) {
        throw new BadRequestError(
          `Invalid event id '${id}': give the numeric id of an event from /admin/events`,
        );
      }
      const event = await ctx.store.repos.systemEvents.get(Number(id));
      if (!event) throw new NotFoundError("not_found", `No system event with id ${id}`);
      res.json({ item: eventJson(event) });
    } catch (error) {
      sendError(res, error, ctx.production);
    }
  });
  return routes;
}

function eventJson(event: SystemEventRecord) {
  return { ...event, at: event.at.toISOString() };
}
