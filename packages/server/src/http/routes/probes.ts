import { type Router as ExpressRouter, Router as expressRouter, type Request, type Response } from "express";
import type { identifyCaller } from "../../auth/authenticate.js";
import type { GatewayContext } from "../../gateway-context.js";
import { checkHealth, healthStatusView } from "../../health.js";
import { hasScope } from "../../policy/scopes.js";
import { contextOf } from "../request-context.js";

/** Settings of the probe routes. */
export interface ProbeRoutesOptions {
  identify: ReturnType<typeof identifyCaller>;
  /** The Host check these routes skip, so that an anonymous caller (auth `none`) sees details only on loopback. */
  hostAllowed(req: Request): boolean;
}

/**
 * `GET /livez`, `/health` and `/ready`, served whatever the Host header says: a Kubernetes probe sends the pod's IP. So they
 * show names and error text only to a key with `metrics:read` (or `admin`), and to everyone else only whether each
 * check is ok.
 */
export function probeRoutes(ctx: GatewayContext, options: ProbeRoutesOptions): ExpressRouter {
  const routes = expressRouter();
  const showsDetails = (req: Request, res: Response) => {
    const caller = contextOf(res).caller;
    if (!caller || !hasScope(caller.scopes, "metrics:read")) return false;
    // With auth `none` every request is the all-scopes anonymous caller, a DNS-rebound page included.
    return caller.keyId !== null || options.hostAllowed(req);
  };

  // Liveness checks only that this process answers: a database outage must not restart every pod (readiness,
  // which does check the database, takes the pod out of the Service instead). No caller, no details, no I/O.
  routes.get("/livez", (_req, res) => {
    res.status(200).json({ live: true });
  });

  routes.get("/health", options.identify, async (req, res) => {
    const report = await checkHealth(ctx);
    const status = report.database.ok ? 200 : 503;
    res.status(status).json(showsDetails(req, res) ? report : healthStatusView(report));
  });

  routes.get("/ready", options.identify, async (req, res) => {
    const migrated = await ctx.store.schemaCurrent();
    const ready = migrated && ctx.isReady();
    const servers = ctx.router.backends().map((b) => ({ name: b.name, state: b.plugin.getStatus().state }));
    res.status(ready ? 200 : 503).json({ ready, migrated, ...(showsDetails(req, res) ? { servers } : {}) });
  });

  return routes;
}
