// Every export of this file is public API.
// The MCP types a plugin's methods use, so an author needs no MCP SDK import of their own.
export type {
  CallToolResult,
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplateType as ResourceTemplate,
  Tool,
  ToolAnnotations,
} from "@modelcontextprotocol/client";
export { BasePlugin } from "./base-plugin.js";
export { isWaygatePlugin, isWaygatePluginClass, PLUGIN_BRAND } from "./brand.js";
export {
  type DefinedPlugin,
  definePlugin,
  type PluginDefinition,
  type PromptDefinition,
  type ResourceDefinition,
} from "./define-plugin.js";
export {
  type BridgeErrorCode,
  CallCancelledError,
  ClientCapabilityRequiredError,
  errorMessage,
  HostVersionError,
  NotFoundError,
  PluginConfigError,
  PluginError,
  type PluginErrorCode,
  PluginInvalidError,
  PluginLoadError,
  ToolNameError,
  UpstreamClosedError,
  UpstreamMessageTooLargeError,
  UpstreamProtocolError,
  UpstreamRefusedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from "./errors.js";
export { assertHostVersionSupported, satisfiesVersionRange } from "./host-version.js";
export {
  createMemoryLogger,
  createSilentLogger,
  type Logger,
  type LogMeta,
  type LogRecord,
  type MemoryLogger,
} from "./logger.js";
export {
  assertValidToolNames,
  type PluginMetadata,
  PluginMetadataSchema,
  TOOL_NAME_PATTERN,
  validatePluginMetadata,
} from "./metadata.js";
export type {
  CallContext,
  Caller,
  ClientRequestOptions,
  ClientRequests,
  ListChangedKind,
  PluginCallContext,
  PluginErrorInfo,
  PluginHealth,
  PluginInitContext,
  PluginStartOptions,
  PluginState,
  PluginStatus,
  TraceContext,
  WaygatePlugin,
} from "./plugin.js";
export {
  errorResult,
  FAILURE_META_KEY,
  failureResult,
  jsonResult,
  textResult,
  toCallToolResult,
} from "./results.js";
export {
  type ConfiguredTool,
  type DefinedTool,
  type ToolArgs,
  type ToolDefinition,
  type ToolInput,
  type ToolReturn,
  tool,
} from "./tool.js";
