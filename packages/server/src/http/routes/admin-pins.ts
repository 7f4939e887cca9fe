import { PinKindSchema, PinOutdatedError, type PinRecord, PinStatusSchema } from "@waygate/core";
import { type Router as ExpressRouter, Router as expressRouter, type Response } from "express";
import { z } from "zod";
import { BadRequestError, GatewayError } from "../../errors/errors.js";
import { sendError } from "../../errors/send-error.js";
import type { GatewayContext } from "../../gateway-context.js";
import { reloadPinnedLists } from "../../routing/pin-sync.js";
import { callerOf } from "../request-context.js";

const TargetSchema = z.strictObject({
  server: z.string().min(1).optional(),
  kind: PinKindSchema.optional(),
  name: z.string().min(1).optional(),
  hash: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "hash must be the 64 hex characters `pins list` shows")
    .optional(),
});
const RejectSchema = TargetSchema.required({ server: true, kind: true, name: true });
const ListQuerySchema = z.object({
  server: z.string().min(1).optional(),
  status: PinStatusSchema.optional(),
});

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join(".") || what}: ${i.message}`).join("; ");
  throw new BadRequestError(`Invalid ${what}: ${problems}`);
}

/** A pin as listed: hashes and state, without the definitions. */
const summary = (pin: PinRecord) => ({
  server: pin.server,
  kind: pin.kind,
  name: pin.name,
  status: pin.status,
  approvedHash: pin.approvedHash,
  currentHash: pin.currentHash,
  updatedAt: pin.updatedAt.toISOString(),
  decidedAt: pin.decidedAt?.toISOString() ?? null,
  decidedBy: pin.decidedBy,
});

/** A pin with both definitions side by side, for a review. */
const diff = (pin: PinRecord) => ({
  ...summary(pin),
  approved: pin.approvedDefinition,
  current: pin.currentDefinition,
});

/** Sends an error; a stale approval or rejection is a 409 carrying the definition the server serves now. */
function sendPinError(res: Response, error: unknown, production: boolean): void {
  if (!PinOutdatedError.isInstance(error)) {
    sendError(res, error, production);
    return;
  }
  const stale = error as PinOutdatedError;
  sendError(res, new GatewayError("conflict", stale.message, { cause: stale }), production, {
    current: diff(stale.current),
  });
}

/** `/admin/pins`: list pins, show a server's diff, approve and reject definitions. */
export function adminPinRoutes(ctx: GatewayContext): ExpressRouter {
  const routes = expressRouter();
  const pins = ctx.store.repos.definitionPins;
  const production = ctx.production;

  routes.get("/", async (req, res) => {
    try {
      const query = parse(ListQuerySchema, req.query, "pins query");
      res.json({ pins: (await pins.list(query)).map(summary) });
    } catch (error) {
      sendError(res, error, production);
    }
  });

  routes.get("/:server/diff", async (req, res) => {
    try {
      const server = String(req.params.server);
      const pending = (await pins.list({ server })).filter((pin) => pin.status !== "approved");
      res.json({ server, pins: pending.map(diff) });
    } catch (error) {
      sendError(res, error, production);
    }
  });

  routes.post("/approve", async (req, res) => {
    try {
      const target = parse(TargetSchema, req.body ?? {}, "approval");
      const decidedBy = callerOf(res).keyId;
      const approved = await pins.approve(target, decidedBy);
      for (const server of new Set(approved.map((pin) => pin.server))) {
        const ofServer = approved.filter((pin) => pin.server === server);
        reloadPinnedLists(
          ctx.router,
          server,
          ofServer.map((pin) => pin.kind),
        );
        await ctx.store.repos.systemEvents.record({
          level: "info",
          type: "pin.approved",
          message: `Approved ${ofServer.length} definition(s) of server '${server}'`,
          details: {
            server,
            keyId: decidedBy,
            definitions: ofServer.map((pin) => `${pin.kind}:${pin.name}`),
          },
        });
      }
      res.json({ approved: approved.map(summary) });
    } catch (error) {
      sendPinError(res, error, production);
    }
  });

  routes.post("/reject", async (req, res) => {
    try {
      const target = parse(RejectSchema, req.body ?? {}, "rejection");
      const decidedBy = callerOf(res).keyId;
      const rejected = await pins.reject(target, decidedBy);
      reloadPinnedLists(ctx.router, rejected.server, [rejected.kind]);
      await ctx.store.repos.systemEvents.record({
        level: "info",
        type: "pin.rejected",
        message: `Rejected the ${rejected.kind} '${rejected.name}' of server '${rejected.server}'`,
        details: { server: rejected.server, keyId: decidedBy, kind: rejected.kind, name: rejected.name },
      });
      res.json({ rejected: summary(rejected) });
    } catch (error) {
      sendPinError(res, error, production);
    }
  });

  return routes;
}
