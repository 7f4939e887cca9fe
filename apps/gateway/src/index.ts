// Every export of this file is public API.

export type { CliIo } from "./cli/io.js";
export { processIo } from "./cli/io.js";
export { createProgram, runCli } from "./cli/program.js";
export { EnvSchema, type WaygateEnv } from "./config/env.js";
export {
  type ConfigFile,
  ConfigFileSchema,
  type GatewaySettings,
  GatewaySettingsSchema,
  type KeyPolicy,
  KeyPolicySchema,
  type PluginEntry,
  PluginEntrySchema,
} from "./config/file.js";
export {
  DEFAULTS,
  type GatewayConfig,
  type LoadConfigOptions,
  loadConfig,
  parseEnv,
  readConfigFile,
} from "./config/load.js";
export {
  type ServerEntry,
  ServerEntrySchema,
  ServerNameSchema,
  toUpstreamServer,
  type UpstreamServer,
} from "./config/server-entry.js";
export {
  CliError,
  type CliErrorCode,
  ConfigError,
  type ConfigIssue,
  ExitCode,
  exitCodeFor,
} from "./errors.js";
export { VERSION } from "./version.js";
