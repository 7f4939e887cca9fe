import type { Command } from "commander";
import { contextOf } from "../context.js";
import type { CliIo } from "../io.js";

/** `waygate start`: runs the HTTP gateway until SIGINT/SIGTERM, then drains and exits 0. */
export function registerStartCommand(program: Command, io: CliIo): void {
  program
    .command("start")
    .description("run the gateway over HTTP (Streamable HTTP MCP at /mcp, REST, /health, /metrics)")
    .option("--host <host>", "address to listen on (overrides WAYGATE_HOST)")
    .option("-p, --port <port>", "port to listen on (overrides WAYGATE_PORT)")
    .action(async (options: { host?: string; port?: string }, command: Command) => {
      const context = contextOf(command, io);
      const overrides = {
        ...io.env,
        ...(options.host === undefined ? {} : { WAYGATE_HOST: options.host }),
        ...(options.port === undefined ? {} : { WAYGATE_PORT: options.port }),
      };
      const config = await contextOf(command, { ...io, env: overrides }).loadConfig();
      const { runHttpGateway } = await import("../../runtime/run-gateway.js");
      await runHttpGateway(config, context);
    });
}
