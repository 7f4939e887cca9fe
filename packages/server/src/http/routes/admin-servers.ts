import { type McpServerDeclaration, timeoutsOf } from "@waygate/core/server-config";
import { type Router as ExpressRouter, Router as expressRouter } from "express";
import { z } from "zod";
import { BadRequestError, GatewayError } from "../../errors/errors.js";
import { sendError } from "../../errors/send-error.js";
import type { GatewayContext } from "../../gateway-context.js";
import { ServerNameSchema } from "../../options.js";
import { backendStatus } from "../../routing/backend.js";
import { admitStdioServer } from "../../upstreams/stdio-allowlist.js";
import { storedServerSpec } from "../../upstreams/stored-server.js";
import { declareUpstream } from "../../upstreams/upstream-config.js";
import { callerOf } from "../request-context.js";

const AddServerBodySchema = z.looseObject({
  name: ServerNameSchema,
  /** `false` stores the server without starting (or contacting) it; `POST /admin/servers/<name>/enable` starts it. */
  enabled: z.boolean().optional(),
});

/** `/admin/servers`: add (remote freely, stdio only as an allowlist entry), list, enable, disable and remove servers. */
export function adminServerRoutes(ctx: GatewayContext): ExpressRouter {
  const routes = expressRouter();
  const production = ctx.production;

  /** Stored servers keep their enabled flag across restarts; configured ones are switched for this run only. */
  const persistEnabled = async (name: string, enabled: boolean) => {
    const spec = ctx.servers.specs().find((s) => s.spec.name === name)?.spec;
    if (spec?.origin === "database") await ctx.store.repos.mcpServers.setEnabled(name, enabled);
  };

  routes.get("/", (_req, res) => {
    const servers = ctx.servers.specs().map(({ spec, enabled }) => {
      const running = ctx.router.get(spec.name);
      return running
        ? { ...backendStatus(running), enabled }
        : {
            name: spec.name,
            kind: spec.kind,
            origin: spec.origin,
            transport: spec.transport,
            state: "disabled",
            enabled,
          };
    });
    res.json({ servers });
  });

  routes.post("/", (req, res) =>
    ctx.serverChanges(async () => {
      try {
        const parsed = AddServerBodySchema.safeParse(req.body);
        if (!parsed.success) {
          const problems = parsed.error.issues
            .map((i) => `${i.path.join(".") || "body"}: ${i.message}`)
            .join("; ");
          throw new BadRequestError(`Invalid server: ${problems}`);
        }
        const { name, enabled: enabledFlag, ...entry } = parsed.data;
        const declared = declareUpstream(name, entry);
        const enabled = enabledFlag ?? declared.enabled;
        // What runs is the allowlist entry's, never the request's: cwd and env decide what code a command runs.
        const config: McpServerDeclaration =
          declared.transport === "stdio"
            ? {
                name,
                transport: "stdio",
                enabled,
                ...timeoutsOf(declared),
                ...admitStdioServer(ctx.options.stdioAllowlist, {
                  command: declared.command,
                  args: declared.args,
                  cwd: declared.cwd,
                  env: "env" in entry ? declared.env : undefined,
                }),
              }
            : { ...declared, enabled };
        if (ctx.servers.specs().some((s) => s.spec.name === name)) {
          throw new GatewayError(
            "conflict",
            `A server named '${name}' already exists; remove it first or pick another name`,
          );
        }
        // Refused before anything is stored or contacted; the connect-time check catches later DNS changes.
        if (config.transport !== "stdio") await ctx.egress.checkRemote(config.url);
        const record = await ctx.store.repos.mcpServers.create(config);
        // Built from the row, as every replica builds it: references resolved here, stored timeouts applied.
        const backend = ctx.servers.add(
          storedServerSpec(record.config, ctx.upstreamHost, ctx.options.referenceEnv ?? process.env),
          { enabled },
        );
        await backend?.started;
        ctx.logger.info("server added through the admin API", {
          server: name,
          transport: config.transport,
          by: callerOf(res).keyId,
          source: "admin API",
        });
        res.status(201).json({ server: backend ? backendStatus(backend) : { name, state: "disabled" } });
      } catch (error) {
        sendError(res, error, production);
      }
    }),
  );

  routes.post("/:name/enable", (req, res) =>
    ctx.serverChanges(async () => {
      try {
        const name = String(req.params.name);
        const server = await ctx.servers.enable(name);
        await persistEnabled(name, true);
        ctx.logger.info("server enabled through the admin API", {
          server: name,
          by: callerOf(res).keyId,
          source: "admin API",
        });
        res.json({ server });
      } catch (error) {
        sendError(res, error, production);
      }
    }),
  );

  routes.post("/:name/disable", (req, res) =>
    ctx.serverChanges(async () => {
      try {
        await ctx.servers.disable(String(req.params.name));
        await persistEnabled(String(req.params.name), false);
        ctx.logger.info("server disabled through the admin API", {
          server: String(req.params.name),
          by: callerOf(res).keyId,
          source: "admin API",
        });
        res.json({ name: req.params.name, enabled: false });
      } catch (error) {
        sendError(res, error, production);
      }
    }),
  );

  routes.delete("/:name", (req, res) =>
    ctx.serverChanges(async () => {
      try {
        const name = String(req.params.name);
        const spec = ctx.servers.specs().find((s) => s.spec.name === name)?.spec;
        if (spec && spec.origin !== "database") {
          throw new GatewayError(
            "conflict",
            `Server '${name}' comes from the gateway's configuration; remove it there (it can be disabled here)`,
          );
        }
        await ctx.servers.remove(name);
        await ctx.store.repos.mcpServers.remove(name);
        ctx.logger.info("server removed through the admin API", {
          server: name,
          by: callerOf(res).keyId,
          source: "admin API",
        });
        res.json({ name: req.params.name, removed: true });
      } catch (error) {
        sendError(res, error, production);
      }
    }),
  );

  return routes;
}
