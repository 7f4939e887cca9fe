import type { Command } from "commander";
import { type GatewayConfig, loadConfig } from "../config/load.js";
import type { CliIo } from "./io.js";
import { createOutput, type Output } from "./output.js";

/** What every command gets: the I/O, its output and a way to load the configuration. */
export interface CommandContext {
  io: CliIo;
  output: Output;
  loadConfig(): Promise<GatewayConfig>;
}

/** Builds the context of a command from its (global) options. */
export function contextOf(command: Command, io: CliIo): CommandContext {
  const options = command.optsWithGlobals<{ config?: string; json?: boolean }>();
  return {
    io,
    output: createOutput(io, options.json === true),
    loadConfig: () =>
      loadConfig({
        env: io.env,
        cwd: io.cwd,
        ...(options.config === undefined ? {} : { configPath: options.config }),
      }),
  };
}
