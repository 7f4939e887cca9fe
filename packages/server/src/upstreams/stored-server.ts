import type { McpServerConfig } from "@waygate/core";
import { definePlugin } from "@waygate/plugin-sdk";
import { GatewayError } from "../errors/errors.js";
import { resolveEnvReferences } from "./env-references.js";
import type { HostedPlugin } from "./hosted-plugin.js";
import type { BackendSpec } from "./server-manager.js";
import { transportOfStored } from "./upstream-config.js";
import { createUpstreamPlugin, type UpstreamHost } from "./upstream-plugin.js";

/**
 * How a stored server (a `mcp_servers` row) runs on this replica: its `${env:NAME}` references resolved from this
 * process's environment, its stored connect and request timeouts applied to its transport. A reference to a variable
 * this replica does not have makes the server fail to start with an error naming the variable (the others still run).
 */
export function storedServerSpec(
  config: McpServerConfig,
  host: UpstreamHost,
  env: Readonly<Record<string, string | undefined>>,
): BackendSpec {
  const { value: resolved, missing } = resolveEnvReferences(config, env);
  const transport = transportOfStored(resolved);
  const timeouts = { connectMs: config.connectTimeoutMs, callMs: config.requestTimeoutMs };
  return {
    name: config.name,
    kind: "upstream",
    origin: "database",
    transport: transport.type,
    build: () =>
      missing.length > 0
        ? unresolvedServer(config.name, missing)
        : createUpstreamPlugin(config.name, transport, host, timeouts),
  };
}

/** A stand-in that fails to start, naming the unset variables, so lists and status show why the server is down. */
function unresolvedServer(name: string, missing: readonly string[]): HostedPlugin {
  const variables = missing.join(", ");
  return definePlugin({
    name,
    version: "0.0.0",
    description: `stored server ${name} (not started: unset environment variable ${variables})`,
    initialize() {
      throw new GatewayError(
        "upstream_unavailable",
        `Server '${name}' refers to the environment variable ${variables}, which is not set on this gateway; ` +
          `set ${variables} in its environment (every replica needs it) and restart, or store the value instead`,
      );
    },
  });
}
