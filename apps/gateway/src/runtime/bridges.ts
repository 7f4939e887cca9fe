import type { PluginEntry } from "../config/file.js";
import { normalisePluginEntry } from "../plugins/resolve-plugin.js";

/** Bridges that `MCP_SERVERS_ENABLED` can name directly; each is the npm package `@waygate/bridge-<name>`. */
export const KNOWN_BRIDGES = ["github", "firebase", "bigquery"] as const;

/** The name of a bridge the gateway knows. */
export type BridgeName = (typeof KNOWN_BRIDGES)[number];

/** True when `name` is one of the known bridges. */
export function isKnownBridge(name: string): name is BridgeName {
  return (KNOWN_BRIDGES as readonly string[]).includes(name);
}

/** The npm package of a bridge. */
export function bridgePackage(name: BridgeName): string {
  return `@waygate/bridge-${name}`;
}

/** The bridge a package name is, or undefined for any other plugin. */
export function bridgeOfPackage(pkg: string): BridgeName | undefined {
  const name = pkg.startsWith("@waygate/bridge-") ? pkg.slice("@waygate/bridge-".length) : "";
  return isKnownBridge(name) ? name : undefined;
}

/**
 * The plugins to load: the config file's, then each bridge that `MCP_SERVERS_ENABLED` names and the file
 * does not already list (a file entry keeps its options, so a bridge is never loaded twice).
 */
export function pluginEntriesFor(
  configured: readonly PluginEntry[],
  bridges: readonly BridgeName[],
): PluginEntry[] {
  const listed = new Set(configured.map((entry) => normalisePluginEntry(entry).package));
  const added = bridges.map(bridgePackage).filter((pkg) => !listed.has(pkg));
  return [...configured, ...added];
}
