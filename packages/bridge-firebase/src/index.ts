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
  createFirebaseBridge,
  createPinnedProjectDir,
  FirebaseBridge,
  FirebaseBridge as default,
  type FirebaseBridgeOptions,
  firebaseBridgeFromEnv,
  firebaseMcpArgs,
} from "./firebase-bridge.js";
export { FIREBASE_TOOLS_PACKAGE, resolveFirebaseCli } from "./firebase-command.js";
export { firebasePolicy } from "./firebase-policy.js";
export {
  FIREBASE_ENV_FIELDS,
  FIREBASE_FEATURES,
  type FirebaseBridgeSettings,
  type FirebaseBridgeSettingsInput,
  FirebaseBridgeSettingsSchema,
  resolveFirebaseSettings,
} from "./settings.js";
