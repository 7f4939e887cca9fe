import express, { type ErrorRequestHandler, type Express, type Request, type RequestHandler } from "express";
import type { Store as RateLimitStore } from "express-rate-limit";
import { auditRefusal, auditRefusedRequests } from "../auth/audit-refusal.js";
import { authenticate, identifyCaller, requireScope } from "../auth/authenticate.js";
import { builtinRoutes } from "../auth/builtin/builtin-routes.js";
import { createAuthFailureLimit } from "../auth/failure-limit.js";
import { createOAuthAuthenticator } from "../auth/oauth.js";
import { resourceMetadataRoutes } from "../auth/resource-metadata.js";
import { scopeStepUp } from "../auth/step-up.js";
import { consoleAssetRoutes } from "../console/console-assets.js";
import { consoleOAuthRoutes } from "../console/console-oauth.js";
import { createConsoleSessions } from "../console/console-session.js";
import { NotFoundError } from "../errors/errors.js";
import { sendError } from "../errors/send-error.js";
import type { GatewayContext } from "../gateway-context.js";
import { requestsOf } from "../policy/request-messages.js";
import type { View } from "../routing/router.js";
import { userTokenRoutes } from "../upstreams/user-tokens/user-token-routes.js";
import { accessLog } from "./access-log.js";
import { bodyErrorHandler, jsonBody, requireJsonContentType } from "./body.js";
import { httpMetrics } from "./http-metrics.js";
import { createInFlightTracker, type InFlightTracker } from "./in-flight.js";
import { rejectMalformedPaths } from "./path-encoding.js";
import { perKeyRateLimit } from "./rate-limit.js";
import { contextOf, useJsonRpcErrors } from "./request-context.js";
import { requestIdMiddleware } from "./request-id.js";
import { adminRoutes } from "./routes/admin.js";
import { diagnosticsRoutes } from "./routes/diagnostics.js";
import { metricsHistoryHandlers } from "./routes/metrics-history.js";
import { pluginRoutes } from "./routes/plugins.js";
import { probeRoutes } from "./routes/probes.js";
import { restMcpRoutes } from "./routes/rest-mcp.js";
import { serviceRoutes } from "./routes/service.js";
import { ownUpstreamTokenRoutes } from "./routes/upstream-tokens.js";
import { corsAllowlist, dnsRebindingGuard, securityHeaders } from "./security.js";

/** The Express app and what must be stopped with it. */
export interface BuiltApp {
  app: Express;
  inFlight: InFlightTracker;
  stop(): void;
}

const aggregateView = (): View => ({ kind: "aggregate" });
const singleView = (req: Request): View => ({ kind: "single", server: String(req.params.name) });

/** Audits each request the rate limiter refuses, from a JSON-RPC body (one or a batch) or an execute body. */
function auditRefusedCalls(ctx: GatewayContext) {
  return (req: Request, res: express.Response, error = "rate limit exceeded") => {
    const body = req.body as { tool?: unknown; arguments?: unknown } | undefined;
    const refused =
      contextOf(res).errorStyle === "jsonrpc"
        ? requestsOf(req.body)
        : typeof body?.tool === "string"
          ? [{ method: "tools/call", name: body.tool, arguments: body.arguments }]
          : [];
    return auditRefusedRequests(ctx.policy, req, res, refused, { outcome: "rate_limited", error });
  };
}

/** Builds the gateway's Express app: one middleware chain, one policy path for MCP and REST. */
export function buildApp(
  ctx: GatewayContext,
  verify: Parameters<typeof authenticate>[0]["verify"],
  rateLimitStore: RateLimitStore,
): BuiltApp {
  const { options, production, metrics } = ctx;
  const app = express();
  app.disable("x-powered-by");
  const inFlight = createInFlightTracker();
  app.use(inFlight.middleware);
  app.use(requestIdMiddleware());
  app.use(httpMetrics(metrics));
  app.use(accessLog(ctx.logger));
  app.use(securityHeaders());
  const failures = createAuthFailureLimit(options.authFailures);
  const rebinding = dnsRebindingGuard({
    bindHost: options.host,
    allowedHosts: options.allowedHosts,
    corsOrigins: options.corsOrigins,
    auth: options.auth,
    production,
  });
  // OAuth metadata is public and read by browser clients from any origin, so it comes before the CORS allowlist.
  if (options.oauth) app.use(resourceMetadataRoutes(options.oauth));
  // The built-in authorization server answers browsers and clients of any origin (oidc-provider does its own CORS);
  // its sign-in form checks its own origin.
  if (options.oauth && ctx.builtinAuth) {
    app.use(
      builtinRoutes(ctx.builtinAuth, {
        options: options.oauth,
        secretKey: options.secretKey,
        verify,
        metrics,
        failures,
        hostAllowed: rebinding.hostAllowed,
      }),
    );
  }
  app.use(corsAllowlist(options.corsOrigins));
  app.use(rejectMalformedPaths(production));

  const refused = auditRefusal(ctx.policy);
  const oauth = options.oauth
    ? ctx.builtinAuth
      ? createOAuthAuthenticator(options.oauth, ctx.builtinAuth.verifier, ctx.builtinAuth.callerOf)
      : createOAuthAuthenticator(options.oauth)
    : undefined;
  const authOptions = {
    mode: options.auth,
    verify,
    metrics,
    production,
    failures,
    onKeyRefused: refused,
    ...(oauth ? { oauth, onTokenRefused: refused } : {}),
  };
  const auth = authenticate(authOptions);
  const stepUp = scopeStepUp(production, refused);
  // One limiter (one store) for every limited route, so a key's budget is shared by MCP and REST.
  const limit = perKeyRateLimit({
    windowMs: options.rateLimit.windowMs,
    // Runtime setting `rateLimit.defaultPerMinute`, read per request so a change applies at once.
    get defaultLimit() {
      if (!ctx.settings.isStored("rateLimit.defaultPerMinute")) return options.rateLimit.limit;
      return Math.max(
        1,
        Math.round((ctx.settings.get("rateLimit.defaultPerMinute") * options.rateLimit.windowMs) / 60_000),
      );
    },
    store: rateLimitStore,
    metrics,
    production,
    logger: ctx.logger,
    onLimited: auditRefusedCalls(ctx),
    costOf: (req) => requestsOf(req.body).length,
  });
  const body = jsonBody(options.bodyLimitBytes);
  const jsonContentType = requireJsonContentType(production);
  const jsonPosts: RequestHandler = (req, res, next) =>
    req.method === "POST" ? jsonContentType(req, res, next) : next();
  // Probes first: they answer whatever the Host (a Kubernetes probe sends the pod's IP) and hide details instead.
  const identify = identifyCaller(authOptions);
  app.use(probeRoutes(ctx, { identify, hostAllowed: rebinding.hostAllowed }));
  // MCP endpoints answer refusals (the Host/Origin check's included) as JSON-RPC errors.
  app.all(["/mcp", "/servers/:name/mcp", "/sse", "/messages"], useJsonRpcErrors);
  app.use(rebinding.middleware);
  // The browser's side of per-user upstream sign-ins: no credentials, bound by state and a cookie instead.
  const userUpstreams = ctx.upstreamHost.userUpstreams;
  if (userUpstreams) app.use(userTokenRoutes(userUpstreams, ctx.logger));
  app.all("/mcp", jsonPosts, body, auth, stepUp, limit, ctx.sessions.streamable(aggregateView));
  app.all("/servers/:name/mcp", jsonPosts, body, auth, stepUp, limit, ctx.sessions.streamable(singleView));
  app.get("/sse", auth, limit, ctx.sessions.legacyStream(aggregateView));
  app.post("/messages", jsonPosts, body, auth, stepUp, limit, ctx.sessions.legacyMessage());

  app.get("/metrics/history", auth, limit, ...metricsHistoryHandlers(ctx));
  app.use(serviceRoutes(ctx, auth));
  // The console's session cookie authenticates the REST and admin routes it calls (never the MCP endpoints).
  const consoleSessions = options.console
    ? createConsoleSessions(ctx, options.console, { verify, failures })
    : undefined;
  const restAuth = consoleSessions ? consoleSessions.orKey(auth) : auth;
  app.use("/plugins", body, restAuth, limit, pluginRoutes(ctx));
  // Every REST route counts against the key's budget, the lists and status included, not only execute.
  app.use("/mcp", body, restAuth, limit, restMcpRoutes(ctx));
  app.use("/oauth/upstream/tokens", auth, limit, ownUpstreamTokenRoutes(ctx));
  const diagnostics = diagnosticsRoutes(ctx);
  app.use("/diagnostics", restAuth, diagnostics.routes);
  app.use("/admin", body, restAuth, requireScope("admin", production), adminRoutes(ctx));
  if (options.console && consoleSessions) {
    if (oauth) {
      app.use(
        "/console/api/oauth",
        consoleOAuthRoutes({ ctx, settings: options.console, oauth, sessions: consoleSessions, failures }),
      );
    }
    app.use("/console/api", jsonPosts, body, consoleSessions.routes);
    app.use("/console", consoleAssetRoutes(options.console.assetsDir));
  }

  app.use((req, res) => {
    sendError(res, new NotFoundError("not_found", `No route for ${req.method} ${req.path}`), production);
  });
  app.use(bodyErrorHandler(production));
  const finalHandler: ErrorRequestHandler = (error, req, res, _next) => {
    ctx.logger.error("request failed", {
      requestId: contextOf(res).requestId,
      method: req.method,
      path: req.path,
      error: error instanceof Error ? error.message : String(error),
    });
    sendError(res, error, production);
  };
  app.use(finalHandler);
  return {
    app,
    inFlight,
    stop: () => {
      diagnostics.stop();
      failures.shutdown();
    },
  };
}
