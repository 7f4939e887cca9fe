import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { NodeStreamableHTTPServerTransport, toNodeHandler } from "@modelcontextprotocol/node";
import {
  type AuthInfo,
  classifyInboundRequest,
  createMcpHandler,
  isInitializeRequest,
  type McpHttpHandler,
  type Transport,
} from "@modelcontextprotocol/server";
import type { SSEServerTransport } from "@modelcontextprotocol/server-legacy/sse";
import type { Request, RequestHandler, Response } from "express";
import type winston from "winston";
import { BadRequestError, GatewayError, NotFoundError } from "../errors/errors.js";
import { sendError } from "../errors/send-error.js";
import { type Caller, callerNoun, callerOf, contextOf } from "../http/request-context.js";
import type { GatewayMetrics } from "../metrics.js";
import type { View } from "../routing/router.js";
import { createEventStore } from "./event-store.js";
import { createInputRounds } from "./input-rounds.js";
import type { RoundRelay } from "./round-relay.js";
import { createMcpServer, type McpRequestInfo, type McpServerDeps } from "./server.js";

interface Session {
  id: string;
  kind: "streamable" | "sse";
  transport: Transport;
  ownerKeyId: string | null;
  viewKey: string;
  lastSeen: number;
  /** HTTP exchanges of this session still open: a session with one open is not idle. */
  open: number;
  detach: () => void;
}

/** Settings of the MCP session store. */
export interface McpSessionsOptions {
  deps: McpServerDeps;
  metrics: GatewayMetrics;
  logger: winston.Logger;
  /**
   * `auto` answers a 2026-07-28 request with one JSON body unless it sends notifications first, and streams every
   * 2025 POST; `sse` streams every POST; `json` answers every POST with one JSON body (progress, logs and a 2025
   * session's client requests of a call are then lost).
   */
  responseMode: "auto" | "sse" | "json";
  idleMs: number;
  /** Interval of SSE keep-alive comments on streamed answers. */
  keepAliveMs: number;
  /** Sessions allowed at once, so clients cannot exhaust memory by opening sessions. */
  maxSessions: number;
  /** Sessions one key may hold at once; at the cap its least recently used idle session makes room. */
  maxSessionsPerKey: number;
  /**
   * Whether an API key may still be used (not revoked, not expired). Every `keyCheckMs` the sessions of each key are
   * checked, and a key's sessions (and their open streams) are closed once it may not.
   */
  keyUsable?: (keyId: string) => Promise<boolean>;
  /** How often open sessions' keys are checked; 1000 ms by default. */
  keyCheckMs?: number;
  /** Path clients POST legacy SSE messages to. */
  legacyMessagesPath: string;
  /**
   * `stateless`: every Streamable HTTP POST gets a fresh MCP server and no session id, so any replica can serve
   * any request (no sticky sessions); 2025 GET and DELETE on the endpoint answer 405. `stateful` (default) keeps
   * 2025 sessions. 2026-07-28 requests are stateless in both.
   */
  sessionMode?: "stateful" | "stateless";
  /** HMAC key of `input_required` round state, the same on every replica (see `roundStateKey`). */
  roundStateKey: Uint8Array;
  /** Relays a round that reaches this replica to the replica that parks its call (`@waygate/server/redis`). */
  roundRelay?: RoundRelay;
  /** The deadline of a call (`timeouts.toolCallMs`, read live); a call parked between rounds ends just before it. */
  callMs?: () => number;
}

/** Streamable HTTP and legacy SSE sessions of one gateway, each with its own MCP server over the shared router. */
export interface McpSessions {
  streamable(viewOf: (req: Request) => View): RequestHandler;
  legacyStream(viewOf: (req: Request) => View): RequestHandler;
  legacyMessage(): RequestHandler;
  count(): number;
  /** Cancels the calls parked between input_required rounds: their clients would have to come back to a closing gateway. */
  cancelParked(): void;
  closeAll(): Promise<void>;
}

/** How long a 2025-11-25 client is told to wait before it reconnects a broken stream with `Last-Event-ID`. */
const RECONNECT_AFTER_MS = 1000;

/** The first protocol revision of the 2026 era: no initialize, no sessions. */
const FIRST_MODERN_VERSION = "2026-07-28";

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
  // Every replica verifies every round's state, so a round that reaches the wrong one is relayed or refused by name.
  const rounds = createInputRounds({
    key: options.roundStateKey,
    parkMs: options.idleMs,
    ...(options.callMs ? { callMs: options.callMs } : {}),
    production,
    ...(options.roundRelay ? { relay: options.roundRelay } : {}),
  });
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
    session.detach();
    gauge();
  };
  const sweep = setInterval(
    () => {
      const cutoff = Date.now() - options.idleMs;
      for (const session of [...sessions.values()]) {
        // A session with an exchange still open (a call running, a stream listening) is not idle.
        if (session.lastSeen >= cutoff || session.open > 0) continue;
        // Gone from lookups at once, so no call starts on a session that is closing.
        drop(session.id);
        session.transport.close().catch(() => {});
      }
    },
    Math.min(options.idleMs, 60_000),
  );
  sweep.unref();

  /** Closes the sessions of keys that were revoked or expired since they opened them, streams and all. */
  const checkKeys = async () => {
    const keyUsable = options.keyUsable;
    if (!keyUsable) return;
    const owners = new Set<string>();
    for (const session of sessions.values()) {
      // API keys only: an OAuth caller's access ends with its token, checked on its next request.
      if (session.ownerKeyId !== null && !session.ownerKeyId.startsWith("oauth:"))
        owners.add(session.ownerKeyId);
    }
    for (const keyId of owners) {
      if (await keyUsable(keyId).catch(() => true)) continue;
      for (const session of [...sessions.values()]) {
        if (session.ownerKeyId !== keyId) continue;
        drop(session.id);
        session.transport.close().catch(() => {});
      }
      options.logger.info("closed the MCP sessions of a key that is no longer usable", { keyId });
    }
  };
  let checking = false;
  const keyCheck = setInterval(() => {
    if (checking) return;
    checking = true;
    void checkKeys().finally(() => {
      checking = false;
    });
  }, options.keyCheckMs ?? 1000);
  keyCheck.unref();

  /** Counts the exchange as open on the session until its response ends. */
  const track = (session: Session, res: Response) => {
    session.open++;
    res.once("close", () => {
      session.open--;
      session.lastSeen = Date.now();
    });
  };

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
    detach: () => void,
    caller: Caller,
    view: View,
  ) => {
    const session: Session = {
      id,
      kind,
      transport,
      ownerKeyId: caller.keyId,
      viewKey: viewKeyOf(view),
      lastSeen: Date.now(),
      open: 0,
      detach,
    };
    sessions.set(id, session);
    gauge();
    return session;
  };

  /**
   * Makes room for one more session of `caller`. A key at its own cap, or any key when the gateway is at the global
   * cap, first gives up its least recently used idle session (no exchange open); with none idle the caller gets 503,
   * and other keys' sessions are never touched.
   */
  const ensureRoom = (caller: Caller) => {
    const own = [...sessions.values()].filter((s) => s.ownerKeyId === caller.keyId);
    const atKeyCap = own.length >= options.maxSessionsPerKey;
    if (!atKeyCap && sessions.size < options.maxSessions) return;
    const idle = own.filter((s) => s.open === 0).sort((a, b) => a.lastSeen - b.lastSeen)[0];
    if (idle) {
      drop(idle.id);
      idle.transport.close().catch(() => {});
      return;
    }
    throw new GatewayError(
      "overloaded",
      atKeyCap
        ? `${callerNoun(caller)} has ${own.length} MCP sessions open, all busy (the per-key cap is ${options.maxSessionsPerKey}); close one (DELETE with its Mcp-Session-Id) or retry later`
        : `Too many open MCP sessions (${options.maxSessions}); close unused sessions or retry later`,
    );
  };

  async function openStreamable(req: Request, res: Response, view: View, caller: Caller) {
    ensureRoom(caller);
    const { NodeStreamableHTTPServerTransport: Transport } = await loadNodeSdk();
    const { server, close } = createMcpServer(options.deps, view, { serving: "legacy-session" }, rounds);
    const transport: NodeStreamableHTTPServerTransport = new Transport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: options.responseMode === "json",
      keepAliveMs: options.keepAliveMs,
      eventStore: createEventStore({ maxEventsPerStream: 256, maxStreams: 64 }),
      // The `retry:` a 2025-11-25 client waits before it reconnects to a stream that broke (SEP-1699).
      retryInterval: RECONNECT_AFTER_MS,
      onsessioninitialized: (id) => {
        track(register(id, "streamable", transport, close, caller, view), res);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) drop(transport.sessionId);
      else close();
    };
    await server.connect(transport);
    sendHeadersWithFirstEvent(res);
    await transport.handleRequest(req, res, req.body);
    // An initialize the SDK refused opens no session: drop the server so its listeners do not pile up.
    if (!transport.sessionId || !sessions.has(transport.sessionId)) {
      close();
      await server.close();
    }
  }

  /**
   * The 2026-07-28 endpoint of a view: each request gets a fresh MCP server, and list changes reach clients that
   * listen through the handler's event bus. In stateless mode it serves 2025 requests too, one server per request.
   */
  const handlers = new Map<string, { handler: McpHttpHandler; node: ReturnType<typeof toNodeHandler> }>();
  const handlerFor = (view: View, sdk: NodeSdk) => {
    const key = viewKeyOf(view);
    let entry = handlers.get(key);
    if (!entry) {
      const handler = createMcpHandler(
        (ctx) =>
          createMcpServer(
            options.deps,
            view,
            { serving: ctx.era === "modern" ? "modern" : "legacy-stateless" },
            rounds,
          ).server,
        {
          legacy: options.sessionMode === "stateless" ? "stateless" : "reject",
          responseMode: options.responseMode,
          keepAliveMs: options.keepAliveMs,
          onerror: (error) => options.logger.debug("MCP request refused", { error: error.message }),
        },
      );
      entry = { handler, node: sdk.toNodeHandler(handler) };
      handlers.set(key, entry);
    }
    return entry;
  };
  const unsubscribe = options.deps.router.onListChanged((kind, changed) => {
    for (const [key, { handler }] of handlers) {
      if (key !== "*" && key !== `server:${changed}`) continue;
      if (kind === "tools") handler.notify.toolsChanged();
      else if (kind === "prompts") handler.notify.promptsChanged();
      else handler.notify.resourcesChanged();
    }
    // A server gone from the router (removed or disabled) takes its endpoint's handler along, ending the streams
    // that listen there; the handler is made again if the server comes back.
    const own = handlers.get(`server:${changed}`);
    if (own && !options.deps.router.get(changed)) {
      handlers.delete(`server:${changed}`);
      own.handler.close().catch(() => {});
    }
  });
  // A plugin's resource updates reach the 2026-07-28 listeners whose subscriptions name the URI (the SDK filters).
  const offUpdates = options.deps.router.onResourceUpdated((uri, changed) => {
    for (const [key, { handler }] of handlers) {
      if (key === "*" || key === `server:${changed}`) handler.notify.resourceUpdated(uri);
    }
  });

  /**
   * True when a request without a session id is a 2025-era one, as the SDK's own entry classifies it. A request
   * that names a 2026+ revision in `MCP-Protocol-Version` (every 2026-07-28 HTTP request must) goes to the modern
   * handler without classifying it twice: that handler classifies it again and owns every refusal of a malformed one.
   */
  const isLegacy = (req: Request) => {
    const version = req.header("mcp-protocol-version");
    if (version !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(version) && version >= FIRST_MODERN_VERSION) {
      return false;
    }
    return (
      classifyInboundRequest({
        httpMethod: req.method,
        protocolVersionHeader: version,
        mcpMethodHeader: req.header("mcp-method"),
        mcpNameHeader: req.header("mcp-name"),
        body: req.body,
      }).kind === "legacy"
    );
  };

  /** A 2025 GET (stream) or DELETE (end of session) asks for a session, which a stateless gateway does not keep. */
  const refuseStatelessStream = (req: Request, res: Response) =>
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

  return {
    streamable(viewOf) {
      return (req, res, next) => {
        const run = async () => {
          const view = viewOf(req);
          ensureView(view);
          const caller = callerOf(res);
          attachAuth(req, res, caller);
          if (options.sessionMode === "stateless") {
            if (req.method !== "POST" && isLegacy(req)) return refuseStatelessStream(req, res);
            return handlerFor(view, nodeSdk ?? (await loadNodeSdk())).node(req, res, req.body);
          }
          const sessionId = req.header("mcp-session-id");
          if (sessionId) {
            const session = lookup(sessionId, caller, view, "streamable");
            track(session, res);
            if (req.method === "POST") sendHeadersWithFirstEvent(res);
            await (session.transport as NodeStreamableHTTPServerTransport).handleRequest(req, res, req.body);
            return;
          }
          if (!isLegacy(req))
            return handlerFor(view, nodeSdk ?? (await loadNodeSdk())).node(req, res, req.body);
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
              ? "Missing Mcp-Session-Id header: send initialize first to open a session, or send a 2026-07-28 request with its _meta envelope"
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
          const { SSEServerTransport: Transport } = await loadLegacySse();
          ensureRoom(caller);
          const { server, close } = createMcpServer(
            options.deps,
            view,
            { serving: "legacy-session" },
            rounds,
          );
          const transport = new Transport(options.legacyMessagesPath, res);
          const id = transport.sessionId;
          track(register(id, "sse", transport, close, caller, view), res);
          transport.onclose = () => drop(id);
          res.on("close", () => drop(id));
          await server.connect(transport);
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

    cancelParked: () => rounds.close(),

    async closeAll() {
      clearInterval(sweep);
      clearInterval(keyCheck);
      unsubscribe();
      offUpdates();
      rounds.close();
      const open = [...sessions.values()];
      await Promise.allSettled([
        ...open.map((s) => s.transport.close()),
        ...[...handlers.values()].map(({ handler }) => handler.close()),
      ]);
      handlers.clear();
      for (const s of open) drop(s.id);
    },
  };
}

/** How long a POST's streamed answer may keep its headers back, waiting for a first event to send them with. */
const HEADERS_WAIT_MS = 1000;

/**
 * The SDK's Node adapter flushes a streamed answer's headers on their own before its first event, which costs one
 * socket write per call more than needed. A POST's answer stream carries only that request's events (the priming
 * event, progress, log lines, then the result), so its headers can leave with the first of them: a call that
 * answers within `HEADERS_WAIT_MS` costs one write. A slower or cancelled call's headers still leave after that
 * wait, so a client is never left without a status. GET streams keep the early flush.
 */
function sendHeadersWithFirstEvent(res: Response): void {
  const flush = res.flushHeaders.bind(res);
  res.flushHeaders = () => {
    const timer = setTimeout(() => {
      if (res.writable && !res.writableEnded) flush();
    }, HEADERS_WAIT_MS);
    timer.unref();
    // The first event takes the headers with it; nothing is left to flush.
    const write = res.write;
    res.write = function (this: Response, ...args: Parameters<Response["write"]>) {
      clearTimeout(timer);
      res.write = write;
      return write.apply(this, args);
    } as Response["write"];
    res.once("close", () => clearTimeout(timer));
  };
}

/**
 * The legacy SSE transport (`/sse` + `/messages`), loaded on the first `/sse` client: most gateways never see one,
 * and the module costs about 5 MB of resident memory.
 */
type NodeSdk = typeof import("@modelcontextprotocol/node");
// The SDK's Node transports load with the first MCP request, not at start: an idle gateway does not need them (about
// 2.5 MB resident). Once loaded, requests use the module without waiting for a promise.
let nodeSdk: NodeSdk | undefined;
async function loadNodeSdk(): Promise<NodeSdk> {
  nodeSdk ??= await import("@modelcontextprotocol/node");
  return nodeSdk;
}

let legacySse: Promise<typeof import("@modelcontextprotocol/server-legacy/sse")> | undefined;
function loadLegacySse() {
  legacySse ??= import("@modelcontextprotocol/server-legacy/sse");
  return legacySse;
}
