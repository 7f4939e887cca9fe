import { type Router as ExpressRouter, Router as expressRouter } from "express";
import { z } from "zod";
import { requireScope } from "../../auth/authenticate.js";
import { BadRequestError } from "../../errors/errors.js";
import { sendError } from "../../errors/send-error.js";
import type { GatewayContext } from "../../gateway-context.js";
import { toolAllowed } from "../../policy/tool-patterns.js";
import { backendStatus } from "../../routing/backend.js";
import { requireJsonContentType } from "../body.js";
import { callerOf, contextOf } from "../request-context.js";
import { restartNote } from "./plugins.js";

const ExecuteBodySchema = z.object({
  tool: z.string().min(1, "tool must be a non-empty string"),
  arguments: z.record(z.string(), z.unknown()).default({}),
});

/** Parses the body of `POST /mcp/execute`, naming each bad field. */
export function parseExecuteBody(body: unknown): z.output<typeof ExecuteBodySchema> {
  const parsed = ExecuteBodySchema.safeParse(body);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ");
  throw new BadRequestError(
    `Invalid execute request: ${problems}. Expected { "tool": string, "arguments": object }`,
  );
}

/** REST API under `/mcp`: execute, status, servers, tools and reload (the caller's rate limit runs before them). */
export function restMcpRoutes(ctx: GatewayContext): ExpressRouter {
  const routes = expressRouter();
  const production = ctx.production;

  routes.post("/execute", requireJsonContentType(production), async (req, res) => {
    try {
      const body = parseExecuteBody(req.body);
      const result = await ctx.policy.callTool({
        caller: callerOf(res),
        requestId: contextOf(res).requestId,
        transport: "rest",
        view: { kind: "aggregate" },
        name: body.tool,
        arguments: body.arguments,
      });
      res.json({ tool: body.tool, result });
    } catch (error) {
      sendError(res, error, production);
    }
  });

  routes.get("/status", requireScope("tools:list", production), (_req, res) => {
    const servers = ctx.router.backends().map(backendStatus);
    res.json({
      status: servers.every((s) => s.state === "ready") ? "ok" : "degraded",
      ready: ctx.isReady(),
      uptimeSeconds: Math.round((Date.now() - ctx.startedAt.getTime()) / 1000),
      sessions: ctx.sessions.count(),
      inFlightCalls: ctx.policy.inFlight(),
      servers,
    });
  });

  routes.get("/servers", requireScope("tools:list", production), (_req, res) => {
    res.json({ servers: ctx.router.backends().map(backendStatus) });
  });

  routes.get("/tools", requireScope("tools:list", production), async (_req, res) => {
    try {
      const caller = callerOf(res);
      const { tools, collisions } = await ctx.router.listTools({ kind: "aggregate" });
      const visible = tools.filter((t) => toolAllowed(caller.toolPatterns, t.entry.exposed));
      res.json({
        tools: visible.map(({ tool, entry }) => ({
          name: entry.exposed,
          server: entry.server,
          originalName: entry.original,
          shortened: entry.shortened,
          description: tool.description,
          inputSchema: tool.inputSchema,
        })),
        collisions,
      });
    } catch (error) {
      sendError(res, error, production);
    }
  });

  routes.post("/servers/:name/reload", requireScope("admin", production), async (req, res) => {
    try {
      const name = String(req.params.name);
      const reloadsCode = ctx.servers.reloadsCode(name);
      const status = await ctx.servers.reload(name, callerOf(res).keyId);
      const plugin = status.kind === "plugin";
      res.json({
        reloaded: true,
        server: status,
        // A plugin's code is loaded afresh only when the host can import it again; say so when it cannot.
        ...(plugin ? { code: reloadsCode ? "reloaded" : "restarted" } : {}),
        ...(plugin && !reloadsCode ? { note: restartNote(name) } : {}),
      });
    } catch (error) {
      sendError(res, error, production);
    }
  });

  return routes;
}
