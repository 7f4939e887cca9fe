import type { Command } from "commander";
import { contextOf } from "../context.js";
import type { CliIo } from "../io.js";

/** `waygate stdio`: serves MCP on stdin/stdout for clients that launch a local process (Claude Desktop). */
export function registerStdioCommand(program: Command, io: CliIo): void {
  program
    .command("stdio")
    .description("serve MCP on stdin/stdout for clients that launch a local process (e.g. Claude Desktop)")
    .action(async (_options: unknown, command: Command) => {
      const context = contextOf(command, io);
      const config = await context.loadConfig();
      const { runStdioGateway } = await import("../../runtime/run-gateway.js");
      await runStdioGateway(config, context);
    });
}
