import { type Router as ExpressRouter, Router as expressRouter } from "express";
import { z } from "zod";
import { BadRequestError } from "../errors.js";
import type { GatewayContext } from "../gateway-context.js";
import { sendError } from "../send-error.js";

const CreateKeyBodySchema = z.object({
  name: z.string().trim().min(1, "name must not be empty").max(100),
  scopes: z.array(z.string().min(1)).min(1, 'give at least one scope, e.g. ["tools:list", "tools:call"]'),
  toolPatterns: z.array(z.string().min(1)).min(1).optional(),
  rateLimitPerMinute: z.number().int().positive().nullable().optional(),
  expiresAt: z.iso
    .datetime({ offset: true, message: "expiresAt must be an ISO 8601 date-time" })
    .nullable()
    .optional(),
});

function parseCreateKey(body: unknown) {
  const parsed = CreateKeyBodySchema.safeParse(body);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ");
  throw new BadRequestError(`Invalid API key request: ${problems}`);
}

/** `/admin/keys`: create (plaintext shown once), list and revoke API keys. */
export function adminKeyRoutes(ctx: GatewayContext): ExpressRouter {
  const routes = expressRouter();
  const keys = ctx.store.repos.apiKeys;

  routes.post("/", async (req, res) => {
    try {
      const body = parseCreateKey(req.body);
      const created = await keys.create({
        name: body.name,
        scopes: body.scopes,
        ...(body.toolPatterns ? { toolPatterns: body.toolPatterns } : {}),
        ...(body.rateLimitPerMinute !== undefined ? { rateLimitPerMinute: body.rateLimitPerMinute } : {}),
        ...(body.expiresAt ? { expiresAt: new Date(body.expiresAt) } : {}),
      });
      ctx.logger.info("api key created", { keyId: created.key.id, name: created.key.name });
      res.status(201).json({ key: created.key, plaintext: created.plaintext });
    } catch (error) {
      sendError(res, error, ctx.production);
    }
  });

  routes.get("/", async (_req, res) => {
    try {
      res.json({ keys: await keys.list() });
    } catch (error) {
      sendError(res, error, ctx.production);
    }
  });

  routes.delete("/:id", async (req, res) => {
    try {
      const key = await keys.revoke(String(req.params.id));
      ctx.logger.info("api key revoked", { keyId: key.id });
      res.json({ key });
    } catch (error) {
      sendError(res, error, ctx.production);
    }
  });

  return routes;
}
