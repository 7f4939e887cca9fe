import type { PluginInstanceRecord, PluginRecord } from "@waygate/core";
import { type Router as ExpressRouter, Router as expressRouter } from "express";
import { requireScope } from "../../auth/authenticate.js";
import { NotFoundError } from "../../errors/errors.js";
import { sendError } from "../../errors/send-error.js";
import type { GatewayContext } from "../../gateway-context.js";
import { hasScope } from "../../policy/scopes.js";
import { reimportFailedPlugin } from "../../upstreams/plugin-reimport.js";
import { callerOf } from "../request-context.js";

function instanceView(instance: PluginInstanceRecord, details: boolean) {
  return {
    instanceId: instance.instanceId,
    state: instance.state,
    status: instance.status,
    lastError: details ? instance.lastError : null,
    loadedAt: instance.loadedAt?.toISOString() ?? null,
    loadCount: instance.loadCount,
    errorCount: instance.errorCount,
    updatedAt: instance.updatedAt.toISOString(),
  };
}

function pluginView(plugin: PluginRecord, instances: PluginInstanceRecord[], details: boolean) {
  return {
    name: plugin.name,
    source: plugin.source,
    version: plugin.version,
    enabled: plugin.enabled,
    status: plugin.status,
    lastError: details ? plugin.lastError : null,
    loadedAt: plugin.loadedAt?.toISOString() ?? null,
    loadCount: plugin.loadCount,
    errorCount: plugin.errorCount,
    instanceId: plugin.instanceId,
    updatedAt: plugin.updatedAt.toISOString(),
    instances: instances.filter((i) => i.name === plugin.name).map((i) => instanceView(i, details)),
  };
}

/** Why a reload kept a plugin's code, for the answers of both reload routes. */
export function restartNote(name: string): string {
  return `Plugin '${name}' was restarted with the code already loaded: its code comes from an npm package or was passed in by the embedding process, and Node loads that once per process. Restart the gateway to load a new version.`;
}

/** `GET /plugins` (the registry every replica writes; `tools:list`) and `POST /plugins/:name/reload` (admin). */
export function pluginRoutes(ctx: GatewayContext): ExpressRouter {
  const routes = expressRouter();
  const production = ctx.production;

  routes.get("/", requireScope("tools:list", production), async (_req, res) => {
    // Error text can name paths and hosts: like /health's details, only for metrics:read or admin.
    const details = hasScope(callerOf(res).scopes, "metrics:read");
    try {
      const [plugins, instances] = await Promise.all([
        ctx.store.repos.plugins.list(),
        ctx.store.repos.plugins.instances(),
      ]);
      res.json({
        instanceId: ctx.plugins.instanceId,
        plugins: plugins.map((plugin) => pluginView(plugin, instances, details)),
      });
    } catch (error) {
      sendError(res, error, production);
    }
  });

  routes.post("/:name/reload", requireScope("admin", production), async (req, res) => {
    const name = String(req.params.name);
    try {
      const by = callerOf(res).keyId;
      const failed = ctx.plugins.failedImports().get(name);
      if (failed) {
        const server = await ctx.serverChanges(() => reimportFailedPlugin(ctx, failed, by));
        res.json({ reloaded: true, code: "reloaded", plugin: name, server });
        return;
      }
      const spec = ctx.servers.specs().find((s) => s.spec.name === name);
      if (spec?.spec.kind !== "plugin") {
        throw new NotFoundError(
          "not_found",
          spec
            ? `'${name}' is an upstream server, not a plugin; reload it with POST /mcp/servers/${encodeURIComponent(name)}/reload`
            : `Unknown plugin '${name}'; list them with GET /plugins`,
        );
      }
      const reloadsCode = ctx.servers.reloadsCode(name);
      const server = await ctx.servers.reload(name, by);
      await ctx.plugins.flush();
      res.json({
        reloaded: true,
        code: reloadsCode ? "reloaded" : "restarted",
        plugin: name,
        server,
        ...(reloadsCode ? {} : { note: restartNote(name) }),
      });
    } catch (error) {
      sendError(res, error, production);
    }
  });

  return routes;
}
