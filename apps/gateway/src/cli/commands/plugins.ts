import type { Command } from "commander";
import { resolvePlugin } from "../../plugins/resolve-plugin.js";
import { contextOf } from "../context.js";
import type { CliIo } from "../io.js";

/** `waygate plugins list`: the plugins of the config file and whether each can be loaded. */
export function registerPluginsCommands(program: Command, io: CliIo): void {
  const plugins = program.command("plugins").description("inspect the plugins named in the config file");
  plugins
    .command("list")
    .description("list configured plugins and whether each is installed")
    .action(async (_options: unknown, command: Command) => {
      const context = contextOf(command, io);
      const config = await context.loadConfig();
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
