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
  createGithubBridge,
  GithubBridge,
  GithubBridge as default,
  type GithubBridgeOptions,
  githubBridgeFromEnv,
} from "./github-bridge.js";
export { githubPolicy } from "./github-policy.js";
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
