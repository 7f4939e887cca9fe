// Every export of this file is public API.

export { API_KEY_PREFIX, apiKeyPrefixOf } from "./api-keys/key-format.js";
export type {
  ApiKeyRecord,
  ApiKeyRejection,
  ApiKeyVerification,
  CreateApiKeyInput,
} from "./api-keys/schema.js";
export { ApiKeyRecordSchema, CreateApiKeyInputSchema, ScopeSchema } from "./api-keys/schema.js";
export type { AnchorDetails, ChainHead } from "./audit/audit-chain.js";
export { ANCHOR_EVENT_TYPE } from "./audit/audit-chain.js";
export type { AuditEntry, AuditOutcome } from "./audit/audit-entry.js";
export {
  AuditEntrySchema,
  AuditOutcomeSchema,
  type AuditPrincipal,
  AuditPrincipalSchema,
} from "./audit/audit-entry.js";
export type { AuditWriter, AuditWriterOptions } from "./audit/audit-writer.js";
export { createAuditWriter } from "./audit/audit-writer.js";
export type { ExportedAuditRow } from "./audit/read-chain.js";
export { exportAuditRows } from "./audit/read-chain.js";
export type {
  AuditChainReport,
  ChainProblem,
  ChainProblemKind,
  VerifyAuditChainOptions,
} from "./audit/verify-chain.js";
export { verifyAuditChain } from "./audit/verify-chain.js";
export type { Clock } from "./clock.js";
export type {
  ConfigDefinition,
  ConfigDefinitions,
  ConfigValue,
  DefaultConfigDefinitions,
} from "./config-definitions.js";
export {
  defaultConfigDefinitions,
  defineConfig,
  FILE_ONLY_SETTINGS,
  LOG_LEVEL_VALUES,
} from "./config-definitions.js";
export type { CreateDatabaseOptions, WaygateDatabase } from "./database/create-database.js";
export { createDatabase } from "./database/create-database.js";
export { probeWrite } from "./database/probe-write.js";
export type { SynchronousLevel } from "./database/synchronous.js";
export { DEFAULT_DATABASE_URL, redactUrl } from "./database/url.js";
export type { WriteConnection, WriteStatement, WriteValue } from "./database/write-connection.js";
export type { CoreErrorCode, ValidationIssue } from "./errors.js";
export {
  AlreadyExistsError,
  AuditWriteError,
  AuditWriterClosedError,
  ConfigValidationError,
  DatabaseAuthError,
  DatabaseCorruptError,
  DatabaseError,
  DatabaseFullError,
  DatabaseLockedError,
  DatabaseReadOnlyError,
  DatabaseUnreachableError,
  EgressRefusedError,
  InvalidInputError,
  MigrationError,
  NotFoundError,
  SchemaTooNewError,
  SchemaTooOldError,
  SecretKeyError,
  SecretUnreadableError,
  UnsupportedDatabaseUrlError,
  WaygateError,
} from "./errors.js";
export type { KeyPolicy, KeyPolicyIssue, KeyRequest, ResolvedKeyRequest } from "./key-policy.js";
export { applyKeyPolicy, KeyPolicySchema } from "./key-policy.js";
export type { McpServerConfig, McpServerConfigInput } from "./mcp-server-config.js";
export {
  HttpMcpServerConfigSchema,
  McpServerConfigSchema,
  McpServerNameSchema,
  redactMcpServerConfig,
  SseMcpServerConfigSchema,
  StdioMcpServerConfigSchema,
} from "./mcp-server-config.js";
export {
  declarationOfEntry,
  entryOfDeclaration,
  type McpServerDeclaration,
  type McpServerEntry,
  type McpServerEntryInput,
  McpServerEntrySchema,
  timeoutsOf,
} from "./mcp-server-entry.js";
export type { MigrationResult } from "./migrate.js";
export { migrate } from "./migrate.js";
export { LATEST_SCHEMA_VERSION } from "./migrations/index.js";
export { openDatabase } from "./open-database.js";
export type { RedactOptions } from "./redact.js";
export { isSecretKeyName, REDACTED, redactArguments } from "./redact.js";
export type { ApiKeysRepository } from "./repositories/api-keys.js";
export type { AuditStats, AuditStatsBucket, AuditStatsQuery } from "./repositories/audit-stats.js";
export { MAX_STATS_BUCKETS } from "./repositories/audit-stats.js";
export type {
  CommandHistoryQuery,
  CommandHistoryRecord,
  CommandHistoryRepository,
} from "./repositories/command-history.js";
export type {
  ConfigEntry,
  ConfigRepository,
  ConfigValueType,
  SettingActor,
  SettingChange,
} from "./repositories/config.js";
export { describeExpected } from "./repositories/config.js";
export type {
  DefinitionPinsRepository,
  ObservedDefinition,
  PinChange,
  PinKind,
  PinRecord,
  PinStatus,
  PinTarget,
} from "./repositories/definition-pins.js";
export { PinKindSchema, PinOutdatedError, PinStatusSchema } from "./repositories/definition-pins.js";
export type { Repositories, RepositoriesOptions } from "./repositories/index.js";
export { createRepositories } from "./repositories/index.js";
export type { McpServerRecord, McpServerStatus, McpServersRepository } from "./repositories/mcp-servers.js";
export type {
  MetricHistoryPoint,
  MetricHistoryQuery,
  MetricQuery,
  MetricRecord,
  MetricSample,
  MetricsRepository,
} from "./repositories/metrics.js";
export {
  isCounterMetric,
  MAX_HISTORY_POINTS,
  MetricHistoryQuerySchema,
  parseDuration,
  parseHistoryQuery,
} from "./repositories/metrics.js";
export type { OAuthGrantInfo, OAuthStorePayload, OAuthStoreRepository } from "./repositories/oauth-store.js";
export type { Page } from "./repositories/page.js";
export type {
  PluginInput,
  PluginInstanceRecord,
  PluginRecord,
  PluginReport,
  PluginStatus,
  PluginsRepository,
} from "./repositories/plugins.js";
export type {
  SystemEventInput,
  SystemEventQuery,
  SystemEventRecord,
  SystemEventsRepository,
} from "./repositories/system-events.js";
export type {
  UpstreamEraRecord,
  UpstreamErasRepository,
  UpstreamEraVerdict,
} from "./repositories/upstream-eras.js";
export type {
  UpstreamUserTokenInfo,
  UpstreamUserTokenSet,
  UpstreamUserTokensRepository,
} from "./repositories/upstream-user-tokens.js";
export { type StdioAllowlistEntry, StdioAllowlistEntrySchema } from "./stdio-allowlist.js";
export { ToolPatternSchema, toolPatternMatches } from "./tool-patterns.js";
