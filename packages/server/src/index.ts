// Every export of this file is public API.

export type { AuditRecord, CallOutcome } from "./audit.js";
export { ANONYMOUS_CALLER, presentedKey } from "./auth/authenticate.js";
export {
  DEFAULT_SCOPE_MAP,
  type OAuthOptions,
  type OAuthOptionsInput,
  OAuthOptionsSchema,
  type UpstreamOAuth,
  UpstreamOAuthSchema,
} from "./auth/oauth-options.js";
export { httpStatusFor, jsonRpcCodeFor, type PublicError, toPublicError } from "./errors/error-mapping.js";
export {
  AuditUnavailableError,
  AuthError,
  BadRequestError,
  ForbiddenError,
  GatewayError,
  type GatewayErrorCode,
  GatewayOptionsError,
  NotFoundError,
  UpstreamError,
} from "./errors/errors.js";
export { createGateway, type Gateway, type ListeningAddress } from "./gateway.js";
export type { HealthReport, HealthStatusView } from "./health.js";
export { createMemoryRateLimitStore } from "./http/rate-limit.js";
export type { Caller } from "./http/request-context.js";
export { createLogger, LOG_LEVELS, type LogLevel, redactSecrets } from "./logger.js";
export type {
  RelayedRound,
  RelayedRoundHandler,
  RelayOutcome,
  RelaySink,
  RoundRelay,
} from "./mcp/round-relay.js";
export { createMetrics, type GatewayMetrics, UNKNOWN_LABEL } from "./metrics.js";
export {
  type GatewayOptions,
  type GatewayOptionsInput,
  GatewayOptionsSchema,
  type GatewayTimeouts,
  isLoopbackHost,
  parseGatewayOptions,
  ServerNameSchema,
} from "./options.js";
export type { AuditHealth } from "./policy/audit-guard.js";
export { hasScope, SCOPES, type Scope } from "./policy/scopes.js";
export { compileToolPattern, toolAllowed, toolPatternMatches } from "./policy/tool-patterns.js";
export type { BackendStatus } from "./routing/backend.js";
export {
  createNameTable,
  NAME_PATTERN,
  NAME_SEPARATOR,
  type NameCollision,
  type NameEntry,
  type NameTable,
  namespacedName,
} from "./routing/naming.js";
export type { AppliedSetting, RestartSetting, SettingsDiff } from "./settings-changes.js";
export {
  isSharedRateLimitStore,
  type RateLimitStoreHealth,
  type SharedRateLimitStore,
} from "./shared-store.js";
export type { DisabledPlugin, PluginsDiff } from "./upstreams/configured-plugins.js";
export type { ConfigChangeSource, UpstreamsDiff } from "./upstreams/configured-upstreams.js";
export {
  parseUpstreamEntry,
  type UpstreamEntry,
  UpstreamEntrySchema,
} from "./upstreams/upstream-config.js";
