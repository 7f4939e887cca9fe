import { Command, CommanderError } from "commander";
import { CliError, ExitCode, exitCodeFor } from "../errors.js";
import { VERSION } from "../version.js";
import { registerAuditCommands } from "./commands/audit.js";
import { configCommand, registerConfigExportCommand } from "./commands/config-export.js";
import { registerConfigSettingsCommands } from "./commands/config-settings.js";
import { registerDoctorCommand } from "./commands/doctor.js";
import { registerKeysCommands } from "./commands/keys.js";
import { registerMetricsCommands } from "./commands/metrics.js";
import { registerMigrateCommand } from "./commands/migrate.js";
import { registerOAuthCommands } from "./commands/oauth-grants.js";
import { registerPinsCommands } from "./commands/pins.js";
import { registerPluginsCommands } from "./commands/plugins.js";
import { registerSecretsCommands } from "./commands/secrets.js";
import { registerServersCommands } from "./commands/servers.js";
import { registerStartCommand } from "./commands/start.js";
import { registerStdioCommand } from "./commands/stdio.js";
import { registerUpstreamTokensCommands } from "./commands/upstream-tokens.js";
import type { CliIo } from "./io.js";

/** Builds the `waygate` command tree; errors are thrown (exitOverride), never `process.exit`ed. */
export function createProgram(io: CliIo): Command {
  const program = new Command("waygate")
    .description("Waygate: a security-hardened gateway for the Model Context Protocol")
    .version(VERSION, "-v, --version")
    .option("-c, --config <path>", "config file (overrides WAYGATE_CONFIG)")
    .option("--json", "print JSON for scripts instead of tables")
    .showSuggestionAfterError(true)
    .showHelpAfterError("(run waygate --help for usage)")
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .exitOverride();
  registerStartCommand(program, io);
  registerStdioCommand(program, io);
  registerMigrateCommand(program, io);
  registerKeysCommands(program, io);
  registerServersCommands(program, io);
  registerPluginsCommands(program, io);
  registerAuditCommands(program, io);
  registerPinsCommands(program, io);
  // One `config` command; each group of its subcommands registers itself from its own file.
  const config = configCommand(program).description(
    "the gateway's configuration: runtime settings stored in the database (applied live by every gateway) and the stored servers as a config file",
  );
  registerConfigSettingsCommands(config, io);
  registerConfigExportCommand(program, io);
  registerMetricsCommands(program, io);
  registerSecretsCommands(program, io);
  registerUpstreamTokensCommands(program, io);
  registerOAuthCommands(program, io);
  registerDoctorCommand(program, io);
  // Subcommands inherit output and exit handling from the root.
  for (const command of program.commands) applyInherited(command, io, "waygate");
  return program;
}

function applyInherited(command: Command, io: CliIo, parentPath: string): void {
  const path = `${parentPath} ${command.name()}`;
  command
    .exitOverride()
    .showHelpAfterError(`(run ${path} --help for usage)`)
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  for (const child of command.commands) applyInherited(child, io, path);
}

function isHelpOrVersion(error: CommanderError): boolean {
  return ["commander.helpDisplayed", "commander.version", "commander.help"].includes(error.code);
}

/** Runs the `waygate` CLI with `argv` (without node and script) and returns the process exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // A group command without a subcommand prints its help and exits 1 in commander: that is usage.
      if (isHelpOrVersion(error)) return error.code === "commander.help" ? ExitCode.usage : ExitCode.ok;
      return ExitCode.usage;
    }
    io.stderr.write(`${formatError(error)}\n`);
    return exitCodeFor(error);
  }
}

function formatError(error: unknown): string {
  if (CliError.isInstance(error)) return `error: ${error.message}`;
  if (error instanceof Error) return `error: ${error.message}`;
  return `error: ${String(error)}`;
}
