import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import type { PluginEntry } from "../config/file.js";

/** A configured plugin with where it resolves from `cwd`, or why it does not. */
export interface ResolvedPlugin {
  package: string;
  enabled: boolean;
  options: Record<string, unknown>;
  /** Absolute path of the module, or `null` when it cannot be found. */
  path: string | null;
  version: string | null;
  error: string | null;
}

/** The normalised form of a plugin entry (a bare string is a package name with no options). */
export function normalisePluginEntry(entry: PluginEntry): {
  package: string;
  enabled: boolean;
  options: Record<string, unknown>;
} {
  return typeof entry === "string" ? { package: entry, enabled: true, options: {} } : entry;
}

function versionNear(modulePath: string): string | null {
  let dir = dirname(modulePath);
  for (let depth = 0; depth < 6; depth++) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version?: unknown };
      if (typeof manifest.version === "string") return manifest.version;
    } catch {
      // No package.json here: look one level up.
    }
    dir = dirname(dir);
  }
  return null;
}

/** Resolves a package from `cwd` first (the operator's install), then from the gateway's own dependencies. */
function resolvePackage(name: string, cwd: string): string {
  try {
    return createRequire(join(cwd, "waygate-config.js")).resolve(name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw error;
    return createRequire(import.meta.url).resolve(name);
  }
}

/** Resolves a configured plugin the way Node would from `cwd` (a package name, or a path). */
export function resolvePlugin(entry: PluginEntry, cwd: string): ResolvedPlugin {
  const plugin = normalisePluginEntry(entry);
  const isPath = plugin.package.startsWith(".") || plugin.package.startsWith("/");
  try {
    const path = isPath
      ? createRequire(join(cwd, "waygate-config.js")).resolve(resolve(cwd, plugin.package))
      : resolvePackage(plugin.package, cwd);
    return { ...plugin, path, version: versionNear(path), error: null };
  } catch (error) {
    const message =
      (error as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND" ? "not installed" : String(error);
    return { ...plugin, path: null, version: null, error: message };
  }
}
