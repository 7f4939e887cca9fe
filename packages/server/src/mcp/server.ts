import {
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  type CreateMessageResult,
  type ElicitResult,
  type ListRootsResult,
  type LoggingLevel,
  Server,
  type ServerContext,
} from "@modelcontextprotocol/server";
import type { ClientRequests } from "@waygate/plugin-sdk";
import { toProtocolError } from "../errors/error-mapping.js";
import { ForbiddenError, GatewayError, NotFoundError } from "../errors/errors.js";
import type { Caller } from "../http/request-context.js";
import { capabilityAllowed, resourceCapability } from "../policy/authorize.js";
import type { CallPolicy, PolicyTarget } from "../policy/call-policy.js";
import type { Router, View } from "../routing/router.js";
import type { HostCallContext } from "../upstreams/hosted-plugin.js";
import { type InputRounds, roundSubject } from "./input-rounds.js";

/** Optional plugin hook for resource subscriptions; returns the function that ends the subscription. */
export interface ResourceSubscriber {
  subscribeResource(uri: string, onUpdated: () => void): Promise<() => void>;
}

/** What each MCP request carries from the HTTP layer, via the transport's `authInfo.extra`. */
export interface McpRequestInfo {
  caller: Caller;
  requestId: string;
}

/** Everything a session's MCP server needs from the gateway. */
export interface McpServerDeps {
  router: Router;
  policy: CallPolicy;
  serverInfo: { name: string; version: string };
  production: boolean;
}

/** How one MCP server instance is served. */
export interface McpServerMode {
  /**
   * `legacy-session`: a 2025-era session, which can send requests to the client mid-call.
   * `legacy-stateless`: one 2025-era request, whose client cannot be asked anything.
   * `modern`: one 2026-07-28 request; its client is asked through `input_required` rounds.
   */
  serving: "legacy-session" | "legacy-stateless" | "modern";
}

const LEVELS: readonly LoggingLevel[] = [
  "debug",
  "info",
  "notice",
  "warning",
  "error",
  "critical",
  "alert",
  "emergency",
];

/** Reads the caller and request id the HTTP layer attached to this message. */
function infoOf(ctx: ServerContext): McpRequestInfo {
  const info = ctx.http?.authInfo?.extra as McpRequestInfo | undefined;
  if (!info) throw new ForbiddenError("Request reached the MCP server without authentication");
  return info;
}

const STATELESS_CLIENT_REQUEST =
  "Sampling, elicitation and roots need a stateful MCP session; this gateway runs mcpSessionMode 'stateless'";

/** Refuses every client request with `message`: the client of this call cannot be asked anything. */
export const refusingClientRequests = (message: string): NonNullable<HostCallContext["clientRequests"]> => ({
  createMessage: () => Promise.reject(new Error(message)),
  elicitInput: () => Promise.reject(new Error(message)),
  listRoots: () => Promise.reject(new Error(message)),
});

/**
 * Client requests of a call without a session: the client's answer would arrive as a new request, possibly at
 * another replica, and the call would wait for it until it timed out, so each is refused at once, saying why.
 */
export const STATELESS_CLIENT_REQUESTS = refusingClientRequests(STATELESS_CLIENT_REQUEST);

/** True when a log message at `level` passes the client's minimum level. */
export const logLevelAllows = (minimum: LoggingLevel, level: LoggingLevel) =>
  LEVELS.indexOf(level) >= LEVELS.indexOf(minimum);

/** A W3C `traceparent`: version, trace id, parent id and flags, in lower-case hex. */
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The trace context a request carries in `_meta`, if well formed; anything else is not passed on. */
export function traceOf(meta: Record<string, unknown> | undefined): HostCallContext["trace"] {
  const traceparent = meta?.traceparent;
  if (typeof traceparent !== "string" || !TRACEPARENT.test(traceparent)) return undefined;
  const tracestate = meta?.tracestate;
  return typeof tracestate === "string" && tracestate.length <= 512
    ? { traceparent, tracestate }
    : { traceparent };
}

/** Sorts a merged list by a key, by code unit (2026-07-28 aggregation: the same list in the same order, every time). */
const sortedBy = <T>(items: T[], key: (item: T) => string): T[] =>
  items.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });

/** Refuses a client request the client did not declare the capability for, instead of waiting for no answer. */
const undeclared = (capability: string) =>
  Promise.reject(new Error(`The MCP client did not declare the ${capability} capability`));

/** Client requests of a 2025-era session: sent on the stream of the request that made them. */
const sessionClientRequests = (ctx: ServerContext, server: Server): ClientRequests => {
  const declared = server.getClientCapabilities() ?? {};
  return {
    createMessage: (params) =>
      declared.sampling
        ? (ctx.mcpReq.send({ method: "sampling/createMessage", params }) as Promise<CreateMessageResult>)
        : undeclared("sampling"),
    elicitInput: (params) =>
      declared.elicitation
        ? (ctx.mcpReq.send({ method: "elicitation/create", params: { ...params } }) as Promise<ElicitResult>)
        : undeclared("elicitation"),
    listRoots: () =>
      declared.roots
        ? (ctx.mcpReq.send({ method: "roots/list" }) as Promise<ListRootsResult>)
        : undeclared("roots"),
  };
};

/** Creates one MCP server over the shared router for one session, or for one request. */
export function createMcpServer(
  deps: McpServerDeps,
  view: View,
  mode: McpServerMode,
  rounds: InputRounds,
): { server: Server; close: () => void } {
  const server = new Server(deps.serverInfo, {
    capabilities: {
      tools: { listChanged: true },
      resources: { listChanged: true, subscribe: true },
      prompts: { listChanged: true },
      completions: {},
      logging: {},
    },
    requestState: { verify: rounds.verify },
  });
  let minLevel: LoggingLevel = "info";
  const modern = mode.serving === "modern";

  /** Wraps a handler so every failure becomes a JSON-RPC error with the gateway's code and the request id. */
  const handle =
    <P, R>(
      fn: (request: P, ctx: ServerContext, info: McpRequestInfo) => Promise<R>,
      /** Details every error of this method carries in `data` (a resource read names its URI). */
      details?: (request: P) => Record<string, unknown>,
    ) =>
    async (request: P, ctx: ServerContext): Promise<R> => {
      let info: McpRequestInfo | undefined;
      try {
        info = infoOf(ctx);
        return await fn(request, ctx, info);
      } catch (error) {
        throw toProtocolError(error, info?.requestId, deps.production, details?.(request));
      }
    };

  /**
   * The plugin call context of a request. `current` is the request notifications go out on (for a call served in
   * `input_required` rounds, the round in flight); `signal` is the policy's (client cancel and request deadline).
   */
  const contextFor = (
    current: () => ServerContext,
    info: McpRequestInfo,
    signal: AbortSignal,
    clientRequests: ClientRequests,
  ): HostCallContext => {
    const meta = current().mcpReq._meta;
    const progressToken = meta?.progressToken;
    const trace = traceOf(meta);
    return {
      ...(trace ? { trace } : {}),
      clientCapabilities: clientCapabilitiesOf(current()),
      signal,
      caller: { keyId: info.caller.keyId, scopes: info.caller.scopes },
      requestId: info.requestId,
      wantsProgress: progressToken !== undefined,
      // Nothing more is sent for a call once it is cancelled or past its deadline.
      reportProgress: (progress, total, message) =>
        progressToken === undefined || signal.aborted
          ? undefined
          : current().mcpReq.notify({
              method: "notifications/progress",
              params: {
                progressToken,
                progress,
                ...(total === undefined ? {} : { total }),
                ...(message ? { message } : {}),
              },
            }),
      // A 2026-07-28 client names its level on each request; a 2025 session sets it with logging/setLevel.
      log: (level, data) =>
        signal.aborted
          ? undefined
          : modern
            ? current().mcpReq.log(level, data)
            : logLevelAllows(minLevel, level)
              ? current().mcpReq.notify({ method: "notifications/message", params: { level, data } })
              : undefined,
      clientRequests,
    };
  };

  /** What a call's round state is bound to: its method, this path's view and the tool, prompt or resource named. */
  const viewName = view.kind === "single" ? view.server : "";
  const subjectOf = (method: string, name: string) => roundSubject(method, viewName, name);

  /**
   * Runs a call that may ask the client something: a 2025 session asks on the call's own stream, a 2026-07-28
   * client through `input_required` rounds, and a stateless 2025 request cannot be asked at all.
   */
  const asking = <R>(
    ctx: ServerContext,
    info: McpRequestInfo,
    name: string,
    body: (current: () => ServerContext, signal: AbortSignal, clientRequests: ClientRequests) => Promise<R>,
  ) => {
    if (modern)
      return rounds.serve(
        ctx,
        { owner: info.caller.keyId, subject: () => subjectOf(ctx.mcpReq.method, name) },
        (round) => body(round.current, round.signal, round.clientRequests),
      );
    const requests =
      mode.serving === "legacy-session" ? sessionClientRequests(ctx, server) : STATELESS_CLIENT_REQUESTS;
    return body(() => ctx, ctx.mcpReq.signal, requests);
  };

  /**
   * What the caller can be asked: a 2026-07-28 request declares it in its envelope, a 2025 session at initialize,
   * and a stateless 2025 request can be asked nothing.
   */
  const clientCapabilitiesOf = (ctx: ServerContext): ClientCapabilities => {
    if (modern) {
      const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
      return (envelope?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined) ?? {};
    }
    return mode.serving === "legacy-session" ? (server.getClientCapabilities() ?? {}) : {};
  };

  /** Base of a policy request for this server's view. */
  const requestOf = (info: McpRequestInfo, signal: AbortSignal) => ({
    caller: info.caller,
    requestId: info.requestId,
    transport: "mcp" as const,
    view,
    signal,
  });

  /** Resolves a resource URI to its server; the key's patterns match `<server>__<uri>`. */
  const resourceTarget = async (uri: string): Promise<PolicyTarget> => {
    const backend = await deps.router.resolveResource(view, uri);
    return { backend, original: uri, capability: resourceCapability(backend.name, uri) };
  };
  const promptTarget = async (name: string): Promise<PolicyTarget> => {
    const resolved = await deps.router.resolvePrompt(view, name);
    return { backend: resolved.backend, original: resolved.original, capability: resolved.namespaced };
  };

  server.setRequestHandler(
    "tools/list",
    handle((request, ctx, info) =>
      deps.policy.run({
        ...requestOf(info, ctx.mcpReq.signal),
        method: "tools/list",
        arguments: request.params,
        run: async () => {
          const { tools } = await deps.router.listTools(view);
          return {
            tools: sortedBy(
              tools.filter((t) => capabilityAllowed(info.caller, t.entry.exposed)).map((t) => t.tool),
              (tool) => tool.name,
            ),
          };
        },
      }),
    ),
  );

  server.setRequestHandler(
    "tools/call",
    handle((request, ctx, info) =>
      asking(ctx, info, request.params.name, (current, signal, clientRequests) => {
        const context = contextFor(current, info, signal, clientRequests);
        return deps.policy.callTool({
          ...requestOf(info, signal),
          name: request.params.name,
          arguments: request.params.arguments ?? {},
          reportProgress: context.reportProgress,
          wantsProgress: context.wantsProgress !== false,
          ...(context.log ? { log: context.log } : {}),
          ...(context.trace ? { trace: context.trace } : {}),
          ...(context.clientCapabilities ? { clientCapabilities: context.clientCapabilities } : {}),
          clientRequests,
        }) as Promise<CallToolResult>;
      }),
    ),
  );

  server.setRequestHandler(
    "resources/list",
    handle((request, ctx, info) =>
      deps.policy.run({
        ...requestOf(info, ctx.mcpReq.signal),
        method: "resources/list",
        arguments: request.params,
        run: async () => ({
          resources: sortedBy(
            (await deps.router.listResources(view))
              .filter((r) => capabilityAllowed(info.caller, resourceCapability(r.server, r.resource.uri)))
              .map((r) => r.resource),
            (resource) => resource.uri,
          ),
        }),
      }),
    ),
  );

  server.setRequestHandler(
    "resources/templates/list",
    handle((request, ctx, info) =>
      deps.policy.run({
        ...requestOf(info, ctx.mcpReq.signal),
        method: "resources/templates/list",
        arguments: request.params,
        run: async () => ({
          resourceTemplates: sortedBy(
            (await deps.router.listResourceTemplates(view))
              .filter((t) =>
                capabilityAllowed(info.caller, resourceCapability(t.server, t.template.uriTemplate)),
              )
              .map((t) => t.template),
            (template) => template.uriTemplate,
          ),
        }),
      }),
    ),
  );

  server.setRequestHandler(
    "resources/read",
    handle(
      (request, ctx, info) =>
        asking(ctx, info, request.params.uri, (current, signal, clientRequests) =>
          deps.policy.run({
            ...requestOf(info, signal),
            method: "resources/read",
            name: request.params.uri,
            resolve: () => resourceTarget(request.params.uri),
            run: (deadline, target) =>
              target!.backend.plugin.readResource(
                request.params.uri,
                contextFor(current, info, deadline, clientRequests),
              ),
          }),
        ),
      (request) => ({ uri: request.params.uri }),
    ),
  );

  // A plugin or bridge that offers `subscribeResource` gets its updates forwarded; one that does not (a plugin built
  // without the SDK's helpers) cannot send any, so the subscription is refused rather than accepted and never served.
  const subscriptions = new Map<string, () => void>();
  server.setRequestHandler(
    "resources/subscribe",
    handle((request, ctx, info) =>
      deps.policy.run({
        ...requestOf(info, ctx.mcpReq.signal),
        method: "resources/subscribe",
        name: request.params.uri,
        resolve: () => resourceTarget(request.params.uri),
        run: async (_signal, target) => {
          const { uri } = request.params;
          if (subscriptions.has(uri)) return {};
          const plugin = target!.backend.plugin;
          const hook = (plugin as Partial<ResourceSubscriber>).subscribeResource;
          if (!hook) {
            throw new GatewayError(
              "bad_request",
              `Server '${target!.backend.name}' does not send resource updates, so '${uri}' cannot be subscribed to; read it again to see changes`,
            );
          }
          const off = await hook.call(plugin, uri, () => {
            server.sendResourceUpdated({ uri }).catch(() => {});
          });
          subscriptions.set(uri, off);
          return {};
        },
      }),
    ),
  );

  server.setRequestHandler(
    "resources/unsubscribe",
    handle((request, ctx, info) =>
      deps.policy.run({
        ...requestOf(info, ctx.mcpReq.signal),
        method: "resources/unsubscribe",
        name: request.params.uri,
        resolve: () => resourceTarget(request.params.uri),
        run: async () => {
          subscriptions.get(request.params.uri)?.();
          subscriptions.delete(request.params.uri);
          return {};
        },
      }),
    ),
  );

  server.setRequestHandler(
    "prompts/list",
    handle((request, ctx, info) =>
      deps.policy.run({
        ...requestOf(info, ctx.mcpReq.signal),
        method: "prompts/list",
        arguments: request.params,
        run: async () => ({
          prompts: sortedBy(
            (await deps.router.listPrompts(view))
              .filter((p) => capabilityAllowed(info.caller, p.entry.exposed))
              .map((p) => p.prompt),
            (prompt) => prompt.name,
          ),
        }),
      }),
    ),
  );

  server.setRequestHandler(
    "prompts/get",
    handle((request, ctx, info) =>
      asking(ctx, info, request.params.name, (current, signal, clientRequests) =>
        deps.policy.run({
          ...requestOf(info, signal),
          method: "prompts/get",
          name: request.params.name,
          arguments: request.params.arguments,
          resolve: () => promptTarget(request.params.name),
          run: (deadline, target) =>
            target!.backend.plugin.getPrompt(
              target!.original,
              request.params.arguments ?? {},
              contextFor(current, info, deadline, clientRequests),
            ),
        }),
      ),
    ),
  );

  server.setRequestHandler(
    "completion/complete",
    handle((request, ctx, info) => {
      const { ref } = request.params;
      return deps.policy.run({
        ...requestOf(info, ctx.mcpReq.signal),
        method: "completion/complete",
        name: ref.type === "ref/prompt" ? ref.name : ref.uri,
        arguments: request.params.argument,
        resolve: async () => {
          if (ref.type === "ref/prompt") return promptTarget(ref.name);
          const templates = await deps.router.listResourceTemplates(view);
          const owner = templates.find((t) => t.template.uriTemplate === ref.uri);
          const backend = owner ? deps.router.get(owner.server) : undefined;
          if (!backend)
            throw new NotFoundError("not_found", `No server offers resource template '${ref.uri}'`);
          return { backend, original: ref.uri, capability: resourceCapability(backend.name, ref.uri) };
        },
        run: (signal, target) => {
          const params =
            ref.type === "ref/prompt"
              ? { ...request.params, ref: { ...ref, name: target!.original } }
              : request.params;
          return target!.backend.plugin.complete(
            params,
            contextFor(() => ctx, info, signal, STATELESS_CLIENT_REQUESTS),
          );
        },
      });
    }),
  );

  server.setRequestHandler(
    "logging/setLevel",
    handle((request, ctx, info) =>
      deps.policy.run({
        ...requestOf(info, ctx.mcpReq.signal),
        method: "logging/setLevel",
        arguments: request.params,
        run: async () => {
          minLevel = request.params.level;
          return {};
        },
      }),
    ),
  );

  // A 2026-07-28 client hears of list changes through subscriptions/listen, which the handler's event bus serves.
  const unsubscribe = modern
    ? () => {}
    : deps.router.onListChanged((kind, changed) => {
        if (view.kind === "single" && view.server !== changed) return;
        const send =
          kind === "tools"
            ? server.sendToolListChanged()
            : kind === "prompts"
              ? server.sendPromptListChanged()
              : server.sendResourceListChanged();
        send.catch(() => {});
      });
  const close = () => {
    unsubscribe();
    for (const off of subscriptions.values()) off();
    subscriptions.clear();
  };
  return { server, close };
}
