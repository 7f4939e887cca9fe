import { type Command, InvalidArgumentError } from "commander";
import { contextOf } from "../context.js";
import type { CliIo } from "../io.js";

function parseMcpUrl(value: string): URL {
  try {
    const url = new URL(value);
    if (url.protocol === "http:" || url.protocol === "https:") return url;
  } catch {
    // Reported below.
  }
  throw new InvalidArgumentError(
    "expected the http(s) URL of a gateway's MCP endpoint, e.g. https://gw.example.com/mcp",
  );
}

function parseTimeoutMs(value: string): number {
  const ms = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(ms) || ms < 1 || ms > 600_000) {
    throw new InvalidArgumentError("expected a whole number of milliseconds from 1 to 600000, e.g. 30000");
  }
  return ms;
}

/** `waygate stdio`: serves MCP on stdin/stdout for clients that launch a local process (Claude Desktop). */
export function registerStdioCommand(program: Command, io: CliIo): void {
  program
    .command("stdio")
    .description("serve MCP on stdin/stdout for clients that launch a local process (e.g. Claude Desktop)")
    .option(
      "--url <url>",
      "relay to a running gateway's MCP endpoint instead of starting one here",
      parseMcpUrl,
    )
    .option(
      "--ready-timeout <ms>",
      "longest wait for upstreams to start before answering initialize (default 30000)",
      parseTimeoutMs,
    )
    .action(async (options: { url?: URL; readyTimeout?: number }, command: Command) => {
      const context = contextOf(command, io);
      if (options.url) {
        const { relayToRemote } = await import("../../runtime/run-gateway.js");
        await relayToRemote(options.url, context);
        return;
      }
      const config = await context.loadConfig();
      const { runStdioGateway } = await import("../../runtime/run-gateway.js");
      await runStdioGateway(config, context, options.readyTimeout);
    });
}
