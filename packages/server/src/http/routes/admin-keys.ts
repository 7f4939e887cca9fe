import { applyKeyPolicy, type KeyPolicy, type ResolvedKeyRequest } from "@waygate/core";
import { type Router as ExpressRouter, Router as expressRouter } from "express";
import { z } from "zod";
import { BadRequestError } from "../../errors/errors.js";
import { sendError } from "../../errors/send-error.js";
import type { GatewayContext } from "../../gateway-context.js";
import { SCOPES } from "../../policy/scopes.js";

const CreateKeyBodySchema = z.object({
  name: z.string().trim().min(1, "name must not be empty").max(100),
  scopes: z
    .array(z.string().min(1))
    .min(
      1,
      'give at least one scope, e.g. ["tools:list", "tools:call"], or leave scopes out for the policy\'s defaults',
    )
    .optional(),
  toolPatterns: z.array(z.string().min(1)).min(1).optional(),
  rateLimitPerMinute: z.number().int().positive().nullable().optional(),
  expiresAt: z.iso
    .datetime({ offset: true, message: "expiresAt must be an ISO 8601 date-time" })
    .nullable()
    .optional(),
});

function invalid(problems: string[]): BadRequestError {
  return new BadRequestError(`Invalid API key request: ${problems.join("; ")}`);
}

/** The key to create: the body validated, then the key policy the CLI applies too (defaults, scopes, expiry). */
function parseCreateKey(body: unknown, policy: KeyPolicy): ResolvedKeyRequest & { name: string } {
  const parsed = CreateKeyBodySchema.safeParse(body);
  if (!parsed.success) {
    throw invalid(parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`));
  }
  const { name, expiresAt, ...rest } = parsed.data;
  const request = {
    ...rest,
    ...(expiresAt === undefined ? {} : { expiresAt: expiresAt === null ? null : new Date(expiresAt) }),
  };
  const applied = applyKeyPolicy(policy, request, { knownScopes: SCOPES });
  if (applied.ok) return { name, ...applied.key };
  throw invalid(
    applied.issues.map((issue) =>
      issue.field === "expiresAt" && issue.latestExpiry
        ? `expiresAt: ${issue.message}; give expiresAt as an ISO 8601 date-time no later than ${issue.latestExpiry.toISOString()}`
        : `${issue.field}: ${issue.message}`,
    ),
  );
}

/** `/admin/keys`: create (plaintext shown once), list and revoke API keys. */
export function adminKeyRoutes(ctx: GatewayContext): ExpressRouter {
  const routes = expressRouter();
  const keys = ctx.store.repos.apiKeys;

  routes.post("/", async (req, res) => {
    try {
      const created = await keys.create(parseCreateKey(req.body, ctx.options.keyPolicy));
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
