import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolResultSchema,
  ErrorCode,
  type JSONRPCMessage,
  type LoggingLevel,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/sdk/types.js";
import type { Request, Response } from "express";
import type { CallPolicy } from "./call-policy.js";
import type { HostCallContext } from "./hosted-plugin.js";
import { toJsonRpcFailure } from "./jsonrpc-failure.js";
import { logLevelAllows, STATELESS_CLIENT_REQUESTS } from "./mcp-server.js";
import type { Caller } from "./request-context.js";
import type { View } from "./router.js";

/** The session a direct call runs in, or none when the gateway is stateless. */
export interface DirectSession {
  id: string;
  server: Server;
  /** The lowest level of log message the client asked for (`logging/setLevel`). */
  logLevel(): LoggingLevel;
  /** Direct calls running in this session, by JSON-RPC id, so `notifications/cancelled` can reach them. */
  calls: Map<string | number, AbortController>;
}

/** What a direct call needs from the gateway. */
export interface DirectCallDeps {
  policy: CallPolicy;
  production: boolean;
  /** The gateway's `mcpResponseMode`; only `auto` answers well-formed calls here. */
  mode: "auto" | "sse" | "json";
  /** A call quiet this long turns its answer into an event stream and sends keep-alive comments at this interval. */
  keepAliveMs: number;
}

const PARAM_KEYS = new Set(["name", "arguments", "_meta"]);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A well-formed `tools/call` request, and whether it asked for progress (which needs a stream). */
interface ToolCallMessage {
  id: string | number;
  name: string;
  arguments: Record<string, unknown>;
  wantsProgress: boolean;
}

/** A `tools/call` request with bad params, answered with -32602 naming what to fix. */
interface InvalidToolCall {
  id: string | number;
  invalid: string;
}

/**
 * Reads a POST that is one `tools/call` request. Returns nothing for anything else (notifications, other methods,
 * batches, a missing id, extra params such as `task`, an unsupported protocol version or an Accept header the SDK
 * refuses), which the SDK transport then serves or refuses with its own errors.
 */
function readToolCall(req: Request): ToolCallMessage | InvalidToolCall | undefined {
  const body = req.body as unknown;
  if (req.method !== "POST" || !isPlainObject(body)) return undefined;
  if (body.jsonrpc !== "2.0" || body.method !== "tools/call") return undefined;
  const version = req.header("mcp-protocol-version");
  if (version !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) return undefined;
  const accept = req.header("accept") ?? "";
  if (!accept.includes("application/json") || !accept.includes("text/event-stream")) return undefined;
  const { id, params } = body;
  if (typeof id !== "string" && typeof id !== "number") return undefined;
  if (!isPlainObject(params)) {
    return { id, invalid: "Invalid params: tools/call needs params { name, arguments }" };
  }
  for (const key of Object.keys(params)) if (!PARAM_KEYS.has(key)) return undefined;
  if (typeof params.name !== "string") {
    return { id, invalid: "Invalid params: params.name must be the tool's name, a string" };
  }
  if (params.arguments !== undefined && !isPlainObject(params.arguments)) {
    return {
      id,
      invalid: `Invalid params: params.arguments must be an object of named arguments, got ${kindOf(params.arguments)}`,
    };
  }
  if (params._meta !== undefined && !isPlainObject(params._meta)) {
    return { id, invalid: `Invalid params: params._meta must be an object, got ${kindOf(params._meta)}` };
  }
  return {
    id,
    name: params.name,
    arguments: params.arguments ?? {},
    wantsProgress: params._meta?.progressToken !== undefined,
  };
}

const kindOf = (value: unknown) =>
  Array.isArray(value) ? "an array" : value === null ? "null" : typeof value;

/** True when the client could be asked something mid-call (sampling, elicitation, roots): that needs a stream. */
function clientTakesRequests(server: Server): boolean {
  const capabilities = server.getClientCapabilities();
  return Boolean(capabilities?.sampling || capabilities?.elicitation || capabilities?.roots);
}

/**
 * The answer to one direct call: one JSON body, unless the call sends the client something first (a log message) or
 * stays quiet for `keepAliveMs`; then the response turns into an event stream that carries it, keep-alive comments
 * for proxies with idle timeouts, and finally the result.
 */
function replyChannel(res: Response, sessionId: string | undefined, keepAliveMs: number) {
  let streaming = false;
  const head = (contentType: string) => {
    if (sessionId) res.setHeader("mcp-session-id", sessionId);
    res.status(200).type(contentType);
  };
  const write = (chunk: string) => {
    if (res.destroyed || res.writableEnded) return;
    if (!streaming) {
      streaming = true;
      head("text/event-stream");
      res.setHeader("cache-control", "no-cache, no-transform");
      res.setHeader("x-accel-buffering", "no");
    }
    res.write(chunk);
  };
  const event = (message: JSONRPCMessage) => write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  const keepAlive = setInterval(() => write(": keepalive\n\n"), keepAliveMs);
  keepAlive.unref();
  return {
    event,
    /** Sends the response; `undefined` (a cancelled request) ends the stream without one. */
    end(reply: JSONRPCMessage | undefined) {
      clearInterval(keepAlive);
      if (res.destroyed || res.writableEnded) return;
      if (streaming) {
        if (reply) event(reply);
        return void res.end();
      }
      head(reply ? "application/json" : "text/event-stream");
      res.end(reply ? JSON.stringify(reply) : undefined);
    },
  };
}

/** Client requests of a direct call: its client declared none of these capabilities, so each is refused at once. */
const UNDECLARED_CLIENT_REQUESTS: NonNullable<HostCallContext["clientRequests"]> = {
  createMessage: () => Promise.reject(new Error("The MCP client did not declare the sampling capability")),
  elicitInput: () => Promise.reject(new Error("The MCP client did not declare the elicitation capability")),
  listRoots: () => Promise.reject(new Error("The MCP client did not declare the roots capability")),
};

/** What a direct call may send its client: log messages on its own response until it is cancelled; no requests. */
function callChannel(
  reply: ReturnType<typeof replyChannel>,
  session: DirectSession | undefined,
  signal: AbortSignal,
): Pick<HostCallContext, "log" | "clientRequests"> {
  return {
    log: (level, data) => {
      if (!signal.aborted && logLevelAllows(session?.logLevel() ?? "info", level)) {
        reply.event({ jsonrpc: "2.0", method: "notifications/message", params: { level, data } });
      }
    },
    clientRequests: session ? UNDECLARED_CLIENT_REQUESTS : STATELESS_CLIENT_REQUESTS,
  };
}

/**
 * Serves a `tools/call` POST without the SDK transport when it can. A call with bad params gets its -32602 error in
 * every mode. In `auto` mode a call with nothing to stream (no progress token, and a client that takes no requests
 * mid-call) runs through the same call policy as every other call and is answered with one `application/json` body.
 * Returns false, having sent nothing, when the SDK transport should serve the POST instead.
 */
export async function serveDirectToolCall(
  deps: DirectCallDeps,
  req: Request,
  res: Response,
  target: { view: View; caller: Caller; requestId: string; session?: DirectSession },
): Promise<boolean> {
  const message = readToolCall(req);
  if (!message) return false;
  const { session } = target;
  if ("invalid" in message) {
    if (session) res.setHeader("mcp-session-id", session.id);
    res.status(200).json({
      jsonrpc: "2.0",
      id: message.id,
      error: {
        code: ErrorCode.InvalidParams,
        message: message.invalid,
        data: { requestId: target.requestId },
      },
    });
    return true;
  }
  if (deps.mode !== "auto" || message.wantsProgress) return false;
  if (session && (clientTakesRequests(session.server) || session.calls.has(message.id))) return false;

  const reply = replyChannel(res, session?.id, deps.keepAliveMs);
  const controller = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) controller.abort(new Error("The client disconnected"));
  };
  res.once("close", onClose);
  session?.calls.set(message.id, controller);
  let response: JSONRPCMessage;
  try {
    const result = await deps.policy.callTool({
      caller: target.caller,
      requestId: target.requestId,
      transport: "mcp",
      view: target.view,
      name: message.name,
      arguments: message.arguments,
      signal: controller.signal,
      wantsProgress: false,
      ...callChannel(reply, session, controller.signal),
    });
    const checked = CallToolResultSchema.safeParse(result);
    response = checked.success
      ? { jsonrpc: "2.0", id: message.id, result: checked.data }
      : {
          jsonrpc: "2.0",
          id: message.id,
          error: {
            code: ErrorCode.InternalError,
            message: `Invalid tools/call result: ${checked.error.message}`,
          },
        };
  } catch (error) {
    const failure = toJsonRpcFailure(error, target.requestId, deps.production);
    response = {
      jsonrpc: "2.0",
      id: message.id,
      error: { code: failure.code, message: failure.message, data: failure.data },
    };
  } finally {
    session?.calls.delete(message.id);
    res.off("close", onClose);
  }
  // A cancelled request gets no response (MCP cancellation): its POST ends as an empty event stream.
  reply.end(controller.signal.aborted ? undefined : response);
  return true;
}

/** Aborts the direct calls a POST cancels (`notifications/cancelled`, alone or in a batch). */
export function cancelDirectCalls(session: DirectSession, body: unknown): void {
  if (session.calls.size === 0) return;
  for (const message of Array.isArray(body) ? body : [body]) {
    if (!isPlainObject(message) || message.method !== "notifications/cancelled") continue;
    const params = message.params;
    if (!isPlainObject(params)) continue;
    const requestId = params.requestId;
    if (typeof requestId !== "string" && typeof requestId !== "number") continue;
    session.calls
      .get(requestId)
      ?.abort(new Error(typeof params.reason === "string" ? params.reason : "Cancelled by the client"));
  }
}

/** Aborts every direct call of a session that is closing (DELETE, idle sweep, shutdown), as the SDK does its own. */
export function abortDirectCalls(session: DirectSession): void {
  for (const controller of session.calls.values()) controller.abort(new Error("The MCP session was closed"));
  session.calls.clear();
}
