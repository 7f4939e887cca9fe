import { type Router as ExpressRouter, Router as expressRouter } from "express";
import type { GatewayContext } from "../../gateway-context.js";
import { adminAuditRoutes } from "./admin-audit.js";
import { adminConfigRoutes } from "./admin-config.js";
import { adminEventRoutes } from "./admin-events.js";
import { adminKeyRoutes } from "./admin-keys.js";
import { adminOAuthGrantRoutes } from "./admin-oauth-grants.js";
import { adminPinRoutes } from "./admin-pins.js";
import { adminServerCapabilityRoutes } from "./admin-server-capabilities.js";
import { adminServerRoutes } from "./admin-servers.js";
import { adminStreamRoutes } from "./admin-stream.js";
import { adminUpstreamTokenRoutes } from "./upstream-tokens.js";

/** The admin API (mounted under `/admin`, behind the `admin` scope). */
export function adminRoutes(ctx: GatewayContext): ExpressRouter {
  const routes = expressRouter();
  routes.use("/keys", adminKeyRoutes(ctx));
  routes.use("/servers", adminServerCapabilityRoutes(ctx));
  routes.use("/servers", adminServerRoutes(ctx));
  routes.use("/pins", adminPinRoutes(ctx));
  routes.use("/config", adminConfigRoutes(ctx));
  routes.use("/audit", adminAuditRoutes(ctx));
  routes.use("/events", adminEventRoutes(ctx));
  routes.use("/stream", adminStreamRoutes(ctx));
  routes.use("/upstream-tokens", adminUpstreamTokenRoutes(ctx));
  routes.use("/oauth/grants", adminOAuthGrantRoutes(ctx));
  return routes;
}
