import { type McpServerConfig, type McpServerStatus, NotFoundError } from "@waygate/core";
import { definePlugin } from "@waygate/plugin-sdk";
import type winston from "winston";
import { GatewayError } from "../errors/errors.js";
import type { Store } from "../store.js";
import { resolveEnvReferences } from "./env-references.js";
import type { HostedPlugin, HostPluginStatus } from "./hosted-plugin.js";
import type { BackendSpec } from "./server-manager.js";
import { transportOf } from "./upstream-config.js";
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
  const transport = transportOf(resolved);
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

const STORED_STATUS: Record<HostPluginStatus["state"], McpServerStatus> = {
  idle: "unknown",
  connecting: "starting",
  ready: "connected",
  degraded: "error",
  failed: "error",
  stopped: "stopped",
};

/**
 * Writes each state a stored server reaches (with its last error) to its `mcp_servers` row, so `waygate servers list`
 * can show the last recorded state and its time when no gateway answers. With several replicas the last one wins.
 */
export function recordStoredStatus(
  store: Store,
  logger: winston.Logger,
): (spec: BackendSpec, status: HostPluginStatus) => void {
  return (spec, status) => {
    if (spec.origin !== "database") return;
    const error = status.state === "ready" ? null : (status.lastError?.message ?? null);
    store.repos.mcpServers
      .setStatus(spec.name, STORED_STATUS[status.state], error)
      .catch((caught: unknown) => {
        // Removed meanwhile (here or through another replica): nothing to record.
        if (NotFoundError.isInstance(caught)) return;
        logger.warn("could not record a server's state", {
          server: spec.name,
          error: String((caught as Error).message),
        });
      });
  };
}
