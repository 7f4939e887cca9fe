// Every export of this file is public API.

export type { BridgeErrorCode } from "../errors.js";
export { restartDelayMs } from "./backoff.js";
export { BridgeConfigError, BridgeCredentialsError } from "./bridge-errors.js";
export type { McpBridgeHooks, UpstreamServerInfo } from "./bridge-hooks.js";
export { type Env, type EnvField, parseBridgeSettings, readEnvFields } from "./env-settings.js";
export { type BridgeSetup, GuardedBridge } from "./guarded-bridge.js";
export { McpBridgePlugin } from "./mcp-bridge-plugin.js";
export {
  type McpBridgeOptions,
  type McpBridgeOptionsInput,
  McpBridgeOptionsSchema,
  type RestartPolicy,
  UpstreamTransportSchema,
} from "./options.js";
export {
  type BridgePolicy,
  DENIED_META_KEY,
  deniedResult,
  type ToolCallResult,
  type UpstreamTool,
} from "./policy.js";
export {
  type ChildExit,
  StdioProcessTransport,
  type StdioProcessTransportOptions,
} from "./stdio-process-transport.js";
export { type UpstreamEra, type UpstreamEraVerdict, UpstreamEraVerdictSchema } from "./upstream-era.js";
