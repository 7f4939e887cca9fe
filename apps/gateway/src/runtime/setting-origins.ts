import type { GatewayConfig } from "../config/load.js";
import type { Env } from "./load-plugins.js";

/** Where a runtime setting's value comes from when the database stores none. */
export type BaseOrigin = "environment" | "file" | "default";

/**
 * The value a gateway started with this configuration gives each runtime setting before the database is read, and
 * where it comes from. Precedence, highest first: database (`waygate config set`), environment, config file, default.
 */
export function baseSettings(
  config: GatewayConfig,
  env: Env,
): Map<string, { value: unknown; origin: BaseOrigin }> {
  const server = config.server as {
    rateLimit?: { windowMs?: number; limit?: number };
    timeouts?: { toolCallMs?: number };
    pinning?: { mode?: string };
    mcpMaxSessions?: number;
    mcpMaxSessionsPerKey?: number;
    audit?: { retainDays?: number };
    metricsHistory?: { retainDays?: number; downsampleAfterHours?: number };
  };
  const fromFile = (value: unknown) => (value === undefined ? undefined : { value, origin: "file" as const });
  const rate = server.rateLimit?.limit;
  const perMinute =
    rate === undefined
      ? undefined
      : Math.max(1, Math.round((rate * 60_000) / (server.rateLimit?.windowMs ?? 60_000)));
  const entries: [string, { value: unknown; origin: BaseOrigin } | undefined][] = [
    ["rateLimit.defaultPerMinute", fromFile(perMinute)],
    ["upstream.requestTimeoutMs", fromFile(server.timeouts?.toolCallMs)],
    [
      "log.level",
      env.LOG_LEVEL !== undefined
        ? { value: config.logLevel, origin: "environment" }
        : config.logLevel !== "info"
          ? { value: config.logLevel, origin: "file" }
          : undefined,
    ],
    ["pinning.mode", fromFile(server.pinning?.mode)],
    ["mcp.maxSessions", fromFile(server.mcpMaxSessions)],
    ["mcp.maxSessionsPerKey", fromFile(server.mcpMaxSessionsPerKey)],
    ["metrics.retainDays", fromFile(server.metricsHistory?.retainDays)],
    ["metrics.downsampleAfterHours", fromFile(server.metricsHistory?.downsampleAfterHours)],
    ["audit.retentionDays", fromFile(server.audit?.retainDays)],
    [
      "cors.origins",
      env.CORS_ORIGINS !== undefined
        ? { value: config.corsOrigins, origin: "environment" }
        : config.corsOrigins.length > 0
          ? { value: config.corsOrigins, origin: "file" }
          : undefined,
    ],
    [
      "mcp.autoInitialize",
      env.MCP_AUTO_INITIALIZE !== undefined
        ? { value: config.autoInitialize, origin: "environment" }
        : undefined,
    ],
  ];
  const result = new Map<string, { value: unknown; origin: BaseOrigin }>();
  for (const [key, entry] of entries) if (entry) result.set(key, entry);
  return result;
}
