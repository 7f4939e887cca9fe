import { createSilentLogger, type WaygatePlugin } from "@waygate/plugin-sdk";
import type { PluginEntry } from "../config/file.js";
import { resolvePlugin } from "../plugins/resolve-plugin.js";
import { type BridgeName, bridgePackage } from "../runtime/bridges.js";
import { type Env, importPlugin } from "../runtime/load-plugins.js";
import { VERSION } from "../version.js";
import { type Finding, ok, problem } from "./finding.js";

/** The error a bridge's failed start left: its stable code, message and the variables it names. */
interface StartFailure {
  code: string;
  message: string;
  variables: string[];
}

function failureOf(plugin: WaygatePlugin, error: unknown): StartFailure {
  const thrown = error as { code?: unknown; message?: unknown; variables?: unknown };
  const last = plugin.getStatus().lastError;
  return {
    code: typeof thrown.code === "string" ? thrown.code : (last?.code ?? "start_failed"),
    message: typeof thrown.message === "string" ? thrown.message : (last?.message ?? String(error)),
    variables: Array.isArray(thrown.variables) ? thrown.variables.map(String) : [],
  };
}

/** How to fix a failed bridge start, from its error code and the variables it names. */
function fixFor(name: BridgeName, failure: StartFailure): string {
  const readme = `see the ${bridgePackage(name)} README`;
  // A bridge names its *_MCP_COMMAND variable when the vendor's server is not installed.
  const command = failure.variables.find((variable) => variable.endsWith("_MCP_COMMAND"));
  if (command !== undefined)
    return `install the bridge's MCP server where the gateway runs, or set ${command} (${readme})`;
  if (failure.code.startsWith("BRIDGE_") && failure.variables.length > 0)
    return `set ${failure.variables.join(", ")} where the gateway runs (${readme})`;
  if (failure.code.startsWith("UPSTREAM_"))
    return `the bridge's server did not answer: check its credentials and network access (${readme})`;
  return readme;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Starts a bridge the way the gateway would (same environment, same config-file options), lists its tools
 * and stops it. A bridge without credentials fails at once, before it starts any process.
 */
export async function probeBridge(
  name: BridgeName,
  entry: PluginEntry,
  options: { cwd: string; env: Env; timeoutMs: number },
): Promise<Finding> {
  const check = `bridge ${name}`;
  const resolved = resolvePlugin(entry, options.cwd);
  if (resolved.path === null) {
    return problem(
      check,
      "fail",
      `${resolved.package} is ${resolved.error}`,
      `npm install ${resolved.package}`,
    );
  }
  const plugin = (await importPlugin(resolved.path, resolved.package, options.env)) as
    | WaygatePlugin
    | undefined;
  if (plugin === undefined) {
    return problem(
      check,
      "fail",
      `${resolved.package} does not export a bridge`,
      `reinstall ${resolved.package}`,
    );
  }
  try {
    await withTimeout(
      plugin.start({ config: resolved.options, logger: createSilentLogger(), hostVersion: VERSION }),
      options.timeoutMs,
      `starting the ${name} bridge`,
    );
    const tools = await withTimeout(
      plugin.listTools(),
      options.timeoutMs,
      `listing the ${name} bridge's tools`,
    );
    return ok(check, `${plugin.getStatus().state}: ${tools.length} tool(s)`);
  } catch (error) {
    const failure = failureOf(plugin, error);
    return problem(check, "fail", `${failure.code}: ${failure.message}`, fixFor(name, failure));
  } finally {
    await plugin.shutdown().catch(() => undefined);
  }
}
