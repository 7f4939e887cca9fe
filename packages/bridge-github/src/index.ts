// Every export of this file is public API.
export type { Env, EnvField } from "./env-settings.js";
export { BridgeConfigError, BridgeCredentialsError, type BridgeErrorCode } from "./errors.js";
export {
  createGithubBridge,
  GithubBridge,
  GithubBridge as default,
  type GithubBridgeOptions,
  githubBridgeFromEnv,
} from "./github-bridge.js";
export { githubPolicy } from "./github-policy.js";
export {
  type BridgePolicy,
  type BridgeSetup,
  DENIED_META_KEY,
  deniedResult,
  type ToolCallResult,
  type UpstreamTool,
} from "./guarded-bridge.js";
export { ownerDenyReason, queryOwners } from "./owner-scope.js";
export { GITHUB_READ_ONLY_TOOLS, isReadOnlyTool } from "./read-only-tools.js";
export {
  GITHUB_ENV_FIELDS,
  GITHUB_REMOTE_MCP_URL,
  type GithubBridgeSettings,
  type GithubBridgeSettingsInput,
  GithubBridgeSettingsSchema,
  resolveGithubSettings,
} from "./settings.js";
