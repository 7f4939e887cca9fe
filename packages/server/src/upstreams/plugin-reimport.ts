import { GatewayError } from "../errors/errors.js";
import type { GatewayContext } from "../gateway-context.js";
import { type BackendStatus, backendStatus } from "../routing/backend.js";
import { isHostedPlugin } from "./hosted-plugin.js";
import type { FailedImport } from "./plugin-registry.js";

/** Tries again to import a plugin that failed at start; when it loads, it is added and started like the others. */
export async function reimportFailedPlugin(
  ctx: GatewayContext,
  failed: FailedImport,
  by: string | null,
): Promise<BackendStatus> {
  if (!failed.reimport) {
    throw new GatewayError(
      "upstream_error",
      `Plugin '${failed.name}' failed to import (${failed.error}) and this host cannot import it again; restart the gateway after fixing it`,
    );
  }
  let loaded: unknown;
  try {
    loaded = await failed.reimport();
  } catch (error) {
    const message = String((error as Error).message ?? error);
    ctx.plugins.importFailed({ ...failed, error: message });
    throw new GatewayError("upstream_error", `Plugin '${failed.name}' still fails to import: ${message}`, {
      cause: error,
    });
  }
  if (!isHostedPlugin(loaded)) {
    throw new GatewayError(
      "upstream_error",
      `${failed.source} still does not export a Waygate plugin; export one made with definePlugin or BasePlugin as the default export`,
    );
  }
  const plugin = loaded;
  const name = plugin.metadata.name;
  ctx.plugins.imported(failed.name);
  // The row recorded under the file's name is stale once the plugin runs under its own name.
  if (name !== failed.name) await ctx.store.repos.plugins.remove(failed.name).catch(() => false);
  ctx.plugins.describe(name, { source: failed.source, version: plugin.metadata.version ?? failed.version });
  const reimport = failed.reimport;
  const backend = ctx.servers.add({
    name,
    kind: "plugin",
    origin: "options",
    build: () => plugin,
    config: failed.config,
    reimport: async () => {
      const fresh = await reimport();
      if (!isHostedPlugin(fresh)) throw new Error(`${failed.source} no longer exports a Waygate plugin`);
      return fresh;
    },
  });
  await backend?.started;
  await ctx.plugins.flush();
  await ctx.store.repos.systemEvents
    .record({
      level: "info",
      type: "plugin.reloaded",
      message: `Plugin '${name}' imported after failing at start`,
      details: { plugin: name, by },
    })
    .catch(() => undefined);
  ctx.router.notifyListChanged("tools", name);
  if (!backend) throw new GatewayError("internal", `Plugin '${name}' was not started`);
  return backendStatus(backend);
}
