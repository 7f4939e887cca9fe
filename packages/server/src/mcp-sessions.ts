import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { SSEServerTransport } from "@modelcontextprotocol/sdk/server/sse.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import type { Request, RequestHandler, Response } from "express";
import type winston from "winston";
import {
  abortDirectCalls,
  cancelDirectCalls,
  type DirectSession,
  serveDirectToolCall,
} from "./direct-call.js";
import { BadRequestError, GatewayError, NotFoundError } from "./errors.js";
import { createMcpServer, type McpRequestInfo, type McpServerDeps } from "./mcp-server.js";
import type { GatewayMetrics } from "./metrics.js";
import { type Caller, callerOf, contextOf } from "./request-context.js";
import type { View } from "./router.js";
import { sendError } from "./send-error.js";

interface Session extends DirectSession {
  kind: "streamable" | "sse";
  transport: Transport;
  ownerKeyId: string | null;
  viewKey: string;
  lastSeen: number;
  detach: () => void;
}

/** Settings of the MCP session store. */
export interface McpSessionsOptions {
  deps: McpServerDeps;
  metrics: GatewayMetrics;
  logger: winston.Logger;
  /**
   * `auto` answers a tools/call that needs no stream (no progress token, a client that takes no requests) with one
   * JSON body straight from the call policy and streams the rest; `sse` streams every POST; `json` answers every POST
   * with one JSON body (progress and client requests of a call are then lost).
   */
  responseMode: "auto" | "sse" | "json";
  idleMs: number;
  /** Interval of SSE keep-alive comments on streamed answers. */
  keepAliveMs: number;
  /** Sessions allowed at once, so clients cannot exhaust memory by opening sessions. */
  maxSessions: number;
  /** Path clients POST legacy SSE messages to. */
  legacyMessagesPath: string;
  /**
   * `stateless`: every Streamable HTTP POST gets a fresh MCP server and no session id, so any replica can serve
   * any request (no sticky sessions); GET and DELETE on the endpoint answer 405. `stateful` (default) keeps sessions.
   */
  sessionMode?: "stateful" | "stateless";
}

/** Streamable HTTP and legacy SSE sessions of one gateway, each with its own MCP server over the shared router. */
export interface McpSessions {
  streamable(viewOf: (req: Request) => View): RequestHandler;
  legacyStream(viewOf: (req: Request) => View): RequestHandler;
  legacyMessage(): RequestHandler;
  count(): number;
  closeAll(): Promise<void>;
}

const viewKeyOf = (view: View) => (view.kind === "aggregate" ? "*" : `server:${view.server}`);

/** Attaches the caller and request id to the request, where the SDK passes it to handlers as `authInfo`. */
function attachAuth(req: Request, res: Response, caller: Caller): void {
  const info: McpRequestInfo = { caller, requestId: contextOf(res).requestId };
  const auth: AuthInfo = {
    token: "",
    clientId: caller.keyId ?? "anonymous",
    scopes: [...caller.scopes],
    extra: { ...info },
  };
  (req as IncomingMessage & { auth?: AuthInfo }).auth = auth;
}

/** Creates the session store; sessions idle longer than `idleMs` are closed by a background sweep. */
export function createMcpSessions(options: McpSessionsOptions): McpSessions {
  const sessions = new Map<string, Session>();
  const production = options.deps.production;
  const gauge = () => {
    let streamable = 0;
    for (const s of sessions.values()) if (s.kind === "streamable") streamable++;
    options.metrics.mcpSessions.set({ kind: "streamable" }, streamable);
    options.metrics.mcpSessions.set({ kind: "sse" }, sessions.size - streamable);
  };
  const drop = (id: string) => {
    const session = sessions.get(id);
    if (!session) return;
    sessions.delete(id);
    abortDirectCalls(session);
    session.detach();
    gauge();
  };
  const sweep = setInterval(
    () => {
      const cutoff = Date.now() - options.idleMs;
      for (const session of [...sessions.values()]) {
        // A session with a call still running is not idle.
        if (session.lastSeen >= cutoff || session.calls.size > 0) continue;
        // Gone from lookups at once, so no call starts on a session that is closing.
        drop(session.id);
        session.transport.close().catch(() => {});
      }
    },
    Math.min(options.idleMs, 60_000),
  );
  sweep.unref();

  /** Finds the caller's session; another key's session, or one for another view, is reported as not found. */
  const lookup = (id: string, caller: Caller, view: View, kind: Session["kind"]) => {
    const session = sessions.get(id);
    if (
      !session ||
      session.ownerKeyId !== caller.keyId ||
      session.viewKey !== viewKeyOf(view) ||
      session.kind !== kind
    ) {
      throw new NotFoundError("not_found", `MCP session '${id}' not found; start a new one with initialize`);
    }
    session.lastSeen = Date.now();
    return session;
  };

  const ensureView = (view: View) => {
    if (view.kind === "single" && !options.deps.router.get(view.server)) {
      throw new NotFoundError(
        "unknown_server",
        `Unknown server '${view.server}'; list them with GET /mcp/servers`,
      );
    }
  };

  /** Keeps a new session, owned by the caller's key and bound to the view it was opened on. */
  const register = (
    id: string,
    kind: Session["kind"],
    transport: Transport,
    mcp: ReturnType<typeof createMcpServer>,
    caller: Caller,
    view: View,
  ) => {
    sessions.set(id, {
      id,
      kind,
      transport,
      server: mcp.server,
      logLevel: mcp.logLevel,
      calls: new Map(),
      ownerKeyId: caller.keyId,
      viewKey: viewKeyOf(view),
      lastSeen: Date.now(),
      detach: mcp.close,
    });
    gauge();
  };

  const ensureRoom = () => {
    if (sessions.size >= options.maxSessions) {
      throw new GatewayError(
        "overloaded",
        `Too many open MCP sessions (${options.maxSessions}); close unused sessions or retry later`,
      );
    }
  };

  async function openStreamable(req: Request, res: Response, view: View, caller: Caller) {
    ensureRoom();
    const mcp = createMcpServer(options.deps, view);
    const { server, close } = mcp;
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: options.responseMode === "json",
      keepAliveMs: options.keepAliveMs,
      onsessioninitialized: (id) => {
        register(id, "streamable", transport, mcp, caller, view);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) drop(transport.sessionId);
      else close();
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
    // An initialize the SDK refused opens no session: drop the server so its listeners do not pile up.
    if (!transport.sessionId || !sessions.has(transport.sessionId)) {
      close();
      await server.close();
    }
  }

  /** Serves one POST with a server and transport that live only as long as the request. */
  async function serveStateless(req: Request, res: Response, view: View) {
    if (req.method !== "POST") {
      res
        .status(405)
        .set("Allow", "POST")
        .json({
          jsonrpc: "2.0",
          error: {
            code: -32000,
            message: `${req.method} is not served: this gateway runs MCP stateless (no sessions, no server-initiated stream); use POST`,
          },
          id: null,
        });
      return;
    }
    const { server, close } = createMcpServer(options.deps, view, { stateless: true });
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: options.responseMode === "json",
      keepAliveMs: options.keepAliveMs,
    });
    res.on("close", () => {
      close();
      void transport.close().finally(() => server.close());
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  }

  const serveDirect = (req: Request, res: Response, target: Parameters<typeof serveDirectToolCall>[3]) =>
    serveDirectToolCall(
      {
        policy: options.deps.policy,
        production,
        mode: options.responseMode,
        keepAliveMs: options.keepAliveMs,
      },
      req,
      res,
      target,
    );

  return {
    streamable(viewOf) {
      return (req, res, next) => {
        const run = async () => {
          const view = viewOf(req);
          ensureView(view);
          const caller = callerOf(res);
          attachAuth(req, res, caller);
          const direct = { view, caller, requestId: contextOf(res).requestId };
          if (options.sessionMode === "stateless") {
            if (await serveDirect(req, res, direct)) return;
            return serveStateless(req, res, view);
          }
          const sessionId = req.header("mcp-session-id");
          if (sessionId) {
            const session = lookup(sessionId, caller, view, "streamable");
            if (await serveDirect(req, res, { ...direct, session })) return;
            cancelDirectCalls(session, req.body);
            await (session.transport as StreamableHTTPServerTransport).handleRequest(req, res, req.body);
            return;
          }
          if (req.method === "POST" && isInitializeRequest(req.body))
            return openStreamable(req, res, view, caller);
          if (
            req.method === "POST" &&
            (req.body as { method?: unknown } | undefined)?.method === "initialize"
          ) {
            throw new BadRequestError(
              "Invalid initialize request: params need protocolVersion, capabilities and clientInfo { name, version }",
            );
          }
          throw new BadRequestError(
            req.method === "POST"
              ? "Missing Mcp-Session-Id header: send initialize first to open a session"
              : "Missing Mcp-Session-Id header",
          );
        };
        run().catch((error: unknown) => (res.headersSent ? next(error) : sendError(res, error, production)));
      };
    },

    legacyStream(viewOf) {
      return (req, res, next) => {
        const run = async () => {
          const view = viewOf(req);
          ensureView(view);
          const caller = callerOf(res);
          ensureRoom();
          const mcp = createMcpServer(options.deps, view);
          const transport = new SSEServerTransport(options.legacyMessagesPath, res);
          const id = transport.sessionId;
          register(id, "sse", transport, mcp, caller, view);
          transport.onclose = () => drop(id);
          res.on("close", () => drop(id));
          await mcp.server.connect(transport);
        };
        run().catch((error: unknown) => (res.headersSent ? next(error) : sendError(res, error, production)));
      };
    },

    legacyMessage() {
      return (req, res, next) => {
        const run = async () => {
          const id = typeof req.query.sessionId === "string" ? req.query.sessionId : undefined;
          if (!id) throw new BadRequestError("Missing sessionId query parameter; open GET /sse first");
          const session = sessions.get(id);
          const caller = callerOf(res);
          // Another key's session is reported as missing, so session ids cannot be probed.
          if (session?.kind !== "sse" || session.ownerKeyId !== caller.keyId) {
            throw new NotFoundError("not_found", `SSE session '${id}' not found; open GET /sse again`);
          }
          session.lastSeen = Date.now();
          attachAuth(req, res, caller);
          await (session.transport as SSEServerTransport).handlePostMessage(req, res, req.body);
        };
        run().catch((error: unknown) => (res.headersSent ? next(error) : sendError(res, error, production)));
      };
    },

    count: () => sessions.size,

    async closeAll() {
      clearInterval(sweep);
      const open = [...sessions.values()];
      await Promise.allSettled(open.map((s) => s.transport.close()));
      for (const s of open) drop(s.id);
    },
  };
}
