import { createRequire } from "node:module";
import { join } from "node:path";
import { BridgeConfigError } from "@waygate/plugin-sdk/bridge";

/** The npm package of Google's MCP Toolbox launcher. */
export const TOOLBOX_PACKAGE = "@toolbox-sdk/server";

/** Arguments that run the Toolbox's prebuilt BigQuery tools over stdio, without its online version check. */
export const TOOLBOX_BIGQUERY_ARGS = [
  "--prebuilt",
  "bigquery",
  "--stdio",
  "--disable-version-check",
] as const;

/** Finds the Toolbox launcher installed next to the gateway (`cwd`) or this package; throws naming what to install. */
export function resolveToolboxLauncher(cwd: string = process.cwd()): string {
  for (const base of [join(cwd, "noop.js"), import.meta.url]) {
    try {
      return createRequire(base).resolve(`${TOOLBOX_PACKAGE}/bin/run.js`);
    } catch {
      // Not installed from here; try the next place.
    }
  }
  throw new BridgeConfigError(
    `The bigquery bridge runs Google's MCP Toolbox, but ${TOOLBOX_PACKAGE} is not installed: run \`npm install ${TOOLBOX_PACKAGE}\` where the gateway runs, or set BIGQUERY_MCP_COMMAND to another BigQuery MCP server's stdio command.`,
    { variables: ["BIGQUERY_MCP_COMMAND"] },
  );
}
