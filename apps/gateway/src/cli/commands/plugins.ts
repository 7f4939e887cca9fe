import type { PluginInstanceRecord, PluginRecord } from "@waygate/core";
import type { Command } from "commander";
import { resolvePlugin } from "../../plugins/resolve-plugin.js";
import { contextOf } from "../context.js";
import type { CliIo } from "../io.js";
import { withStore } from "../with-store.js";

type RegistryRow = PluginRecord & { instances: PluginInstanceRecord[] };

/** `waygate plugins list`: the live plugin registry running gateways write, or the config file's plugins. */
export function registerPluginsCommands(program: Command, io: CliIo): void {
  const plugins = program
    .command("plugins")
    .description("inspect the plugins gateways loaded and the config names");
  plugins
    .command("list")
    .description("list plugins as running gateways recorded them (status per instance, loads, errors)")
    .option("--configured", "list the plugins of the config file and whether each is installed instead")
    .action(async (options: { configured?: boolean }, command: Command) => {
      const context = contextOf(command, io);
      const config = await context.loadConfig();
      const registry = options.configured
        ? []
        : await withStore(context, async (store): Promise<RegistryRow[]> => {
            const [records, instances] = await Promise.all([store.plugins.list(), store.plugins.instances()]);
            return records.map((record) => ({
              ...record,
              instances: instances.filter((instance) => instance.name === record.name),
            }));
          });
      if (registry.length > 0) {
        context.output.table(
          registry,
          [
            { header: "name", value: (row) => row.name },
            { header: "source", value: (row) => row.source },
            { header: "version", value: (row) => row.version ?? "-" },
            { header: "status", value: (row) => row.status },
            {
              header: "instances",
              value: (row) => row.instances.map((i) => `${i.instanceId}: ${i.state}`).join(", ") || "-",
            },
            { header: "loads", value: (row) => String(row.loadCount) },
            { header: "errors", value: (row) => String(row.errorCount) },
            { header: "last error", value: (row) => row.lastError ?? "-" },
          ],
          "",
        );
        return;
      }
      if (!options.configured) {
        context.output.progress(
          "no gateway has recorded plugins in this database yet (start one with `waygate start`); the config file names:",
        );
      }
      const rows = config.plugins.map((entry) => resolvePlugin(entry, io.cwd));
      context.output.table(
        rows,
        [
          { header: "package", value: (row) => row.package },
          { header: "enabled", value: (row) => (row.enabled ? "yes" : "no") },
          { header: "version", value: (row) => row.version ?? "-" },
          { header: "status", value: (row) => row.error ?? "installed" },
        ],
        "no plugins configured: list package names under `plugins` in the config file (WAYGATE_CONFIG)",
      );
    });
}
