// Every export of this file is public API.
export { restartDelayMs } from "./backoff.js";
export { type McpBridgeHooks, McpBridgePlugin } from "./mcp-bridge-plugin.js";
export {
  type McpBridgeOptions,
  type McpBridgeOptionsInput,
  McpBridgeOptionsSchema,
  type RestartPolicy,
  UpstreamTransportSchema,
} from "./options.js";
export {
  type ChildExit,
  StdioProcessTransport,
  type StdioProcessTransportOptions,
} from "./stdio-process-transport.js";
