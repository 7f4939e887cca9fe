import type winston from "winston";
import type { GatewayMetrics } from "../metrics.js";
import type { GatewayOptions } from "../options.js";
import type { CallPolicy } from "../policy/call-policy.js";
import type { Router } from "../routing/router.js";
import type { RuntimeSettings } from "../runtime-settings.js";
import type { Store } from "../store.js";
import type { GatewayIdentity } from "../upstreams/gateway-identity.js";
import { roundStateKey } from "./input-rounds.js";
import { createMcpSessions, type McpSessions } from "./sessions.js";

/** The gateway's one MCP front end (both eras), with its session caps read live from the runtime settings. */
export function createFrontEnd(deps: {
  options: GatewayOptions;
  settings: RuntimeSettings;
  store: Store;
  router: Router;
  policy: CallPolicy;
  identity: GatewayIdentity;
  metrics: GatewayMetrics;
  logger: winston.Logger;
}): McpSessions {
  const { options, settings, store } = deps;
  return createMcpSessions({
    deps: {
      router: deps.router,
      policy: deps.policy,
      serverInfo: deps.identity.serverInfo,
      production: options.env === "production",
    },
    metrics: deps.metrics,
    logger: deps.logger,
    responseMode: options.mcpResponseMode,
    sessionMode: options.mcpSessionMode,
    get maxSessions() {
      return settings.get("mcp.maxSessions");
    },
    get maxSessionsPerKey() {
      return settings.get("mcp.maxSessionsPerKey");
    },
    // A session of a key revoked or expired since it opened is closed.
    keyUsable: async (keyId) => {
      const key = await store.repos.apiKeys.get(keyId);
      return key !== null && key.revokedAt === null && (key.expiresAt === null || key.expiresAt > new Date());
    },
    idleMs: options.timeouts.sessionIdleMs,
    callMs: () => settings.get("upstream.requestTimeoutMs"),
    keepAliveMs: options.timeouts.sseKeepAliveMs,
    legacyMessagesPath: "/messages",
    roundStateKey: roundStateKey(options.secretKey),
    ...(options.roundRelay ? { roundRelay: options.roundRelay } : {}),
  });
}
