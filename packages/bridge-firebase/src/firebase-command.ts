import { createRequire } from "node:module";
import { join } from "node:path";
import { BridgeConfigError } from "@waygate/plugin-sdk/bridge";

/** The npm package of the Firebase CLI, whose `mcp` command is the server. */
export const FIREBASE_TOOLS_PACKAGE = "firebase-tools";

/** Finds the Firebase CLI installed next to the gateway (`cwd`) or this package; throws naming what to install. */
export function resolveFirebaseCli(cwd: string = process.cwd()): string {
  for (const base of [join(cwd, "noop.js"), import.meta.url]) {
    try {
      return createRequire(base).resolve(`${FIREBASE_TOOLS_PACKAGE}/lib/bin/firebase.js`);
    } catch {
      // Not installed from here; try the next place.
    }
  }
  throw new BridgeConfigError(
    `The firebase bridge runs the Firebase CLI's MCP server, but ${FIREBASE_TOOLS_PACKAGE} is not installed: run \`npm install ${FIREBASE_TOOLS_PACKAGE}\` where the gateway runs, or set FIREBASE_MCP_COMMAND to the server's stdio command.`,
    { variables: ["FIREBASE_MCP_COMMAND"] },
  );
}
