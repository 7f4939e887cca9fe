import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { PluginEntry } from "../config/file.js";
import type { GatewayConfig } from "../config/load.js";
import type { UpstreamServer } from "../config/server-entry.js";

/** The server-everything release the example runs through npx when it is not installed beside the gateway. */
export const EVERYTHING_VERSION = "2026.8.31";

/** What the example configuration adds: the upstream and, in a checkout of the repository, the example plugin. */
export interface ExampleConfiguration {
  upstream: UpstreamServer;
  plugins: PluginEntry[];
  /** One line per part, for the start-up output. */
  described: string[];
}

/**
 * True when `waygate start` should serve the example configuration: development, no config file, no server
 * stored in the database, no `MCP_SERVERS_ENABLED`, and `WAYGATE_EXAMPLES` not `false`. An operator's first start
 * then has tools to call instead of an empty gateway.
 */
export function wantsExamples(config: GatewayConfig, storedServers: number): boolean {
  return (
    config.examples &&
    config.env === "development" &&
    config.configPath === undefined &&
    config.upstreams.length === 0 &&
    config.plugins.length === 0 &&
    config.serversEnabled === undefined &&
    storedServers === 0
  );
}

/** The gateway package's folder (dist/ is one level down, whichever bundle chunk this runs from). */
function gatewayRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..");
}

/**
 * The example configuration. server-everything runs from the installed package when there is one (the workspace
 * has it, so this works offline), otherwise through `npx -y` at a pinned version. The example plugin exists only in
 * a checkout (`examples/custom-plugin`, built by `pnpm start`).
 */
export function exampleConfiguration(): ExampleConfiguration {
  let upstream: UpstreamServer;
  let everything: string;
  try {
    const pkg = createRequire(join(gatewayRoot(), "package.json")).resolve(
      "@modelcontextprotocol/server-everything/package.json",
    );
    const entry = join(dirname(pkg), "dist", "index.js");
    upstream = {
      name: "everything",
      transport: "stdio",
      command: process.execPath,
      args: [entry, "stdio"],
      env: {},
      enabled: true,
    };
    everything = `everything: @modelcontextprotocol/server-everything (installed, ${entry})`;
  } catch {
    const spec = `@modelcontextprotocol/server-everything@${EVERYTHING_VERSION}`;
    upstream = {
      name: "everything",
      transport: "stdio",
      command: "npx",
      args: ["-y", spec, "stdio"],
      env: {},
      enabled: true,
    };
    everything = `everything: npx -y ${spec} stdio (downloaded on first use)`;
  }
  const plugin = join(gatewayRoot(), "..", "..", "examples", "custom-plugin", "dist", "index.js");
  const plugins = existsSync(plugin) ? [plugin] : [];
  return {
    upstream,
    plugins,
    described: [everything, ...(plugins.length > 0 ? [`text_tools: the example plugin (${plugin})`] : [])],
  };
}
