// Every export of this file is public API.

export type { Env, EnvField } from "@waygate/plugin-sdk/bridge";
export {
  BridgeConfigError,
  BridgeCredentialsError,
  type BridgeErrorCode,
  type BridgePolicy,
  type BridgeSetup,
  DENIED_META_KEY,
  deniedResult,
  type ToolCallResult,
  type UpstreamTool,
} from "@waygate/plugin-sdk/bridge";
export {
  BigqueryBridge,
  BigqueryBridge as default,
  type BigqueryBridgeOptions,
  bigqueryBridgeFromEnv,
  createBigqueryBridge,
  toolboxEnv,
} from "./bigquery-bridge.js";
export { bigqueryPolicy, SQL_ARGUMENTS, TABLE_OR_SQL_ARGUMENTS } from "./bigquery-policy.js";
export { argumentScopeReason, tableScopeReason } from "./scope.js";
export {
  BIGQUERY_ENV_FIELDS,
  type BigqueryBridgeSettings,
  type BigqueryBridgeSettingsInput,
  BigqueryBridgeSettingsSchema,
  gcloudAdcFile,
  resolveBigquerySettings,
} from "./settings.js";
export { checkReadOnlySql, type SqlCheckOptions, type SqlVerdict, type TableRef } from "./sql-policy.js";
export { resolveToolboxLauncher, TOOLBOX_BIGQUERY_ARGS, TOOLBOX_PACKAGE } from "./toolbox-command.js";
