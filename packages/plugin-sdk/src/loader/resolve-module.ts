import { createRequire } from "node:module";
import { isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { errorMessage, PluginLoadError } from "../errors.js";

/** True if a source string is a file path (relative, absolute or file: URL) rather than a package name. */
export function isPathSource(source: string): boolean {
  return source.startsWith(".") || source.startsWith("file:") || isAbsolute(source);
}

/** Turns a package name or file path into a URL that `import()` accepts, resolved from `cwd`. */
export function resolvePluginUrl(source: string, cwd: string): string {
  if (source.startsWith("file:")) return source;
  if (isPathSource(source)) return pathToFileURL(resolve(cwd, source)).href;
  try {
    return pathToFileURL(createRequire(join(cwd, "package.json")).resolve(source)).href;
  } catch (error) {
    throw new PluginLoadError(`Cannot find plugin package '${source}' from ${cwd}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}

/** Imports a plugin module, wrapping any failure in a PluginLoadError that names the source. */
export async function importPluginModule(source: string, cwd: string): Promise<Record<string, unknown>> {
  const url = resolvePluginUrl(source, cwd);
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw new PluginLoadError(`Importing plugin '${source}' failed: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}
