// The transport a bridge reaches its upstream with, as its options name it: a child process over stdio, Streamable
// HTTP, or legacy SSE, each wrapped so that messages arrive in order.
import {
  SSEClientTransport,
  StreamableHTTPClientTransport,
  type Transport,
} from "@modelcontextprotocol/client";
import type { Logger } from "../logger.js";
import type { McpBridgeHooks } from "./bridge-hooks.js";
import type { McpBridgeOptions } from "./options.js";
import { OrderedTransport } from "./ordered-transport.js";
import { StdioProcessTransport } from "./stdio-process-transport.js";

/** A new, unconnected transport to the upstream the options name. */
export function createUpstreamTransport(
  options: McpBridgeOptions,
  hooks: McpBridgeHooks,
  logger: Logger,
): OrderedTransport {
  return new OrderedTransport(createRawTransport(options, hooks, logger));
}

function createRawTransport(options: McpBridgeOptions, hooks: McpBridgeHooks, logger: Logger): Transport {
  const spec = options.transport;
  if (spec.type === "stdio") {
    const stderrLogger = logger.child({ stream: "stderr" });
    return new StdioProcessTransport({
      command: spec.command,
      args: spec.args,
      env: spec.env,
      cwd: spec.cwd,
      maxMessageBytes: options.maxMessageBytes,
      killGraceMs: options.timeouts.killGraceMs,
      ownProcessGroup: spec.ownProcessGroup,
      onStderrLine: (line) => stderrLogger.info("upstream stderr", { line }),
    });
  }
  const transportOptions = {
    requestInit: { headers: spec.headers },
    ...(hooks.fetch ? { fetch: hooks.fetch } : {}),
    ...(hooks.authProvider ? { authProvider: hooks.authProvider } : {}),
  };
  return spec.type === "http"
    ? new StreamableHTTPClientTransport(new URL(spec.url), transportOptions)
    : new SSEClientTransport(new URL(spec.url), transportOptions);
}
