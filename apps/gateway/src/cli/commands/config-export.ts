import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Command } from "commander";
import { CliError } from "../../errors.js";
import { contextOf } from "../context.js";
import type { CliIo } from "../io.js";
import { withStore } from "../with-store.js";

/** The `config` command group, created once whichever of its subcommands registers first. */
export function configCommand(program: Command): Command {
  return (
    program.commands.find((command) => command.name() === "config") ??
    program.command("config").description("the gateway's configuration")
  );
}

/** `waygate config export`: the servers stored in the database as a config file, secrets as `${env:…}` references. */
export function registerConfigExportCommand(program: Command, io: CliIo): void {
  configCommand(program)
    .command("export")
    .description(
      "print the servers stored in the database as a config file (mcpServers, stable key order); env and header values become ${env:NAME} references, never plaintext",
    )
    .option("-o, --output <file>", "write the file instead of printing it")
    .option("--force", "overwrite --output if it exists")
    .action(async (options: { output?: string; force?: boolean }, command: Command) => {
      const context = contextOf(command, io);
      const servers = await withStore(context, (store) => store.listServersWithSecrets());
      const { exportServersAsConfig } = await import("../../config/export.js");
      const exported = exportServersAsConfig(servers);
      const text = `${JSON.stringify(exported.file, null, 2)}\n`;
      if (options.output === undefined) {
        io.stdout.write(text);
      } else {
        const path = resolve(io.cwd, options.output);
        await writeFile(path, text, { flag: options.force ? "w" : "wx" }).catch(
          (error: NodeJS.ErrnoException) => {
            if (error.code === "EEXIST") {
              throw new CliError(
                "conflict",
                `${path} exists: pick another --output, or add --force to overwrite it`,
              );
            }
            throw new CliError("failed", `cannot write ${path}: ${error.message}`, { cause: error });
          },
        );
        context.output.progress(`wrote ${servers.length} server(s) to ${path}`);
      }
      if (exported.variables.length > 0) {
        context.output.progress(
          [
            "the file refers to these environment variables instead of the stored secrets; set them where it is used:",
            ...exported.variables.map(
              (variable) => `  ${variable.name}  (${variable.server} ${variable.field})`,
            ),
          ].join("\n"),
        );
      }
    });
}
