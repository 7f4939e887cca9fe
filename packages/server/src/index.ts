// Every export of this file is public API.

export type { AuditRecord, CallOutcome } from "./audit.js";
export type { AuditHealth } from "./audit-guard.js";
export {
  DEFAULT_SCOPE_MAP,
  type OAuthOptions,
  type OAuthOptionsInput,
  OAuthOptionsSchema,
} from "./auth/oauth-options.js";
export { ANONYMOUS_CALLER, presentedKey } from "./auth.js";
export type { BackendStatus } from "./backend.js";
export { httpStatusFor, jsonRpcCodeFor, type PublicError, toPublicError } from "./error-mapping.js";
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
} from "./errors.js";
export { createGateway, type Gateway, type ListeningAddress } from "./gateway.js";
export type { HealthReport, HealthStatusView } from "./health.js";
export { createLogger, LOG_LEVELS, type LogLevel, redactSecrets } from "./logger.js";
export { createMetrics, type GatewayMetrics, UNKNOWN_LABEL } from "./metrics.js";
export {
  createNameTable,
  NAME_PATTERN,
  NAME_SEPARATOR,
  type NameCollision,
  type NameEntry,
  type NameTable,
  namespacedName,
} from "./naming.js";
export {
  type GatewayOptions,
  type GatewayOptionsInput,
  GatewayOptionsSchema,
  type GatewayTimeouts,
  isLoopbackHost,
  parseGatewayOptions,
  ServerNameSchema,
} from "./options.js";
export { createMemoryRateLimitStore } from "./rate-limit.js";
export type { Caller } from "./request-context.js";
export { hasScope, SCOPES, type Scope } from "./scopes.js";
export {
  isSharedRateLimitStore,
  type RateLimitStoreHealth,
  type SharedRateLimitStore,
} from "./shared-store.js";
export { compileToolPattern, toolAllowed, toolPatternMatches } from "./tool-patterns.js";
export {
  parseUpstreamEntry,
  type UpstreamEntry,
  UpstreamEntrySchema,
} from "./upstream-config.js";
