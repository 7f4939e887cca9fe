import { type Router as ExpressRouter, Router as expressRouter } from "express";
import { NotFoundError } from "../../errors/errors.js";
import { sendError } from "../../errors/send-error.js";
import type { GatewayContext } from "../../gateway-context.js";
import { namespacedName } from "../../routing/naming.js";

/** `GET /admin/servers/:name/capabilities`: one running server's tools, prompts, resources and templates. */
export function adminServerCapabilityRoutes(ctx: GatewayContext): ExpressRouter {
  const routes = expressRouter();
  routes.get("/:name/capabilities", async (req, res) => {
    try {
      const name = String(req.params.name);
      if (!ctx.router.get(name)) {
        throw new NotFoundError(
          "unknown_server",
          `No running server named '${name}': list them with GET /admin/servers (a disabled one has no capabilities)`,
        );
      }
      const view = { kind: "single" as const, server: name };
      // Each list on its own: a server without prompts (or resources) still shows its tools.
      const [tools, prompts, resources, templates] = await Promise.allSettled([
        ctx.router.listTools(view),
        ctx.router.listPrompts(view),
        ctx.router.listResources(view),
        ctx.router.listResourceTemplates(view),
      ]);
      const value = <T>(result: PromiseSettledResult<T>, fallback: T) =>
        result.status === "fulfilled" ? result.value : fallback;
      res.json({
        server: name,
        tools: value(tools, { tools: [], collisions: [] }).tools.map(({ tool }) => ({
          name: namespacedName(name, tool.name),
          originalName: tool.name,
          description: tool.description ?? null,
        })),
        prompts: value(prompts, []).map(({ prompt }) => ({
          name: namespacedName(name, prompt.name),
          originalName: prompt.name,
          description: prompt.description ?? null,
        })),
        resources: value(resources, []).map(({ resource }) => ({
          uri: resource.uri,
          name: resource.name,
          description: resource.description ?? null,
        })),
        resourceTemplates: value(templates, []).map(({ template }) => ({
          uriTemplate: template.uriTemplate,
          name: template.name,
          description: template.description ?? null,
        })),
      });
    } catch (error) {
      sendError(res, error, ctx.production);
    }
  });
  return routes;
}
