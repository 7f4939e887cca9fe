import { defaultConfigDefinitions, FILE_ONLY_SETTINGS } from "@waygate/core";
import { type Router as ExpressRouter, Router as expressRouter } from "express";
import { BadRequestError, NotFoundError } from "../../errors/errors.js";
import { sendError } from "../../errors/send-error.js";
import type { GatewayContext } from "../../gateway-context.js";
import { callerOf } from "../request-context.js";

/** The new value from a `{ "value": … }` body. */
function newValueOf(body: unknown): unknown {
  if (typeof body !== "object" || body === null || !Object.hasOwn(body, "value")) {
    throw new BadRequestError('Invalid setting change: give the new value as { "value": … }');
  }
  return (body as { value: unknown }).value;
}

/** Every known setting: stored value, this replica's effective value and where it comes from. */
async function listSettings(ctx: GatewayContext) {
  const stored = await ctx.store.repos.config.list();
  const live = new Map(ctx.settings.entries().map((entry) => [entry.key as string, entry]));
  return stored.map((entry) => {
    const current = live.get(entry.key);
    return {
      key: entry.key,
      value: current ? current.value : entry.value,
      origin: current ? current.origin : entry.isDefault ? "default" : "database",
      stored: entry.isDefault ? null : entry.value,
      runtime: entry.runtime,
      expected: entry.expected,
      description: entry.description,
      updatedAt: entry.updatedAt?.toISOString() ?? null,
    };
  });
}

/**
 * `/admin/config`: list, read, set (`PUT` with `{ "value": … }`) and unset (`DELETE`) runtime settings. A change is
 * validated, stored with a `config.changed` system event naming the key id, applied here at once and on the other
 * replicas within their sync interval.
 */
export function adminConfigRoutes(ctx: GatewayContext): ExpressRouter {
  const routes = expressRouter();
  const production = ctx.production;

  routes.get("/", async (_req, res) => {
    try {
      res.json({ settings: await listSettings(ctx) });
    } catch (error) {
      sendError(res, error, production);
    }
  });

  routes.get("/:key", async (req, res) => {
    try {
      const key = String(req.params.key);
      const setting = (await listSettings(ctx)).find((entry) => entry.key === key);
      if (!setting) {
        throw new NotFoundError(
          "not_found",
          Object.hasOwn(FILE_ONLY_SETTINGS, key)
            ? `Setting '${key}' is file-only (${FILE_ONLY_SETTINGS[key]}): it lives in the config file or the environment, never in the database`
            : `Unknown setting '${key}'; known settings are: ${Object.keys(defaultConfigDefinitions).join(", ")}`,
        );
      }
      res.json(setting);
    } catch (error) {
      sendError(res, error, production);
    }
  });

  routes.put("/:key", async (req, res) => {
    try {
      const change = await ctx.store.repos.config.change(String(req.params.key), newValueOf(req.body), {
        by: callerOf(res).keyId,
        via: "admin_api",
      });
      await ctx.settings.syncNow();
      res.json({ key: change.key, value: change.value, previous: change.previous ?? null });
    } catch (error) {
      sendError(res, error, production);
    }
  });

  routes.delete("/:key", async (req, res) => {
    try {
      const change = await ctx.store.repos.config.change(String(req.params.key), undefined, {
        by: callerOf(res).keyId,
        via: "admin_api",
      });
      await ctx.settings.syncNow();
      res.json({ key: change.key, removed: change.changed, previous: change.previous ?? null });
    } catch (error) {
      sendError(res, error, production);
    }
  });

  return routes;
}
