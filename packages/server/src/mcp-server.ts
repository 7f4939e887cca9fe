import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  CreateMessageResultSchema,
  ElicitResultSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListRootsResultSchema,
  ListToolsRequestSchema,
  type LoggingLevel,
  LoggingLevelSchema,
  ReadResourceRequestSchema,
  type ServerNotification,
  type ServerRequest,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { CallPolicy, PolicyTarget } from "./call-policy.js";
import { ForbiddenError, NotFoundError } from "./errors.js";
import type { HostCallContext } from "./hosted-plugin.js";
import { toJsonRpcFailure } from "./jsonrpc-failure.js";
import { asV1CreateMessageParams } from "./plugin-sdk-types.js";
import { capabilityAllowed, resourceCapability } from "./policy/authorize.js";
import type { Caller } from "./request-context.js";
import type { Router, View } from "./router.js";

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

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

const LEVELS = LoggingLevelSchema.options;

/** Reads the caller and request id the HTTP layer attached to this message. */
function infoOf(extra: Extra): McpRequestInfo {
  const info = extra.authInfo?.extra as McpRequestInfo | undefined;
  if (!info) throw new ForbiddenError("Request reached the MCP server without authentication");
  return info;
}

const STATELESS_CLIENT_REQUEST =
  "Sampling, elicitation and roots need a stateful MCP session; this gateway runs mcpSessionMode 'stateless'";

/**
 * Client requests of a call without a session: the client's answer would arrive as a new request, possibly at
 * another replica, and the call would wait for it until it timed out, so each is refused at once, saying why.
 */
export const STATELESS_CLIENT_REQUESTS: NonNullable<HostCallContext["clientRequests"]> = {
  createMessage: () => Promise.reject(new Error(STATELESS_CLIENT_REQUEST)),
  elicitInput: () => Promise.reject(new Error(STATELESS_CLIENT_REQUEST)),
  listRoots: () => Promise.reject(new Error(STATELESS_CLIENT_REQUEST)),
};

/** True when a log message at `level` passes the client's minimum level. */
export const logLevelAllows = (minimum: LoggingLevel, level: LoggingLevel) =>
  LEVELS.indexOf(level) >= LEVELS.indexOf(minimum);

/** Creates one MCP server over the shared router for one session (or one request, when stateless). */
export function createMcpServer(
  deps: McpServerDeps,
  view: View,
  options: { stateless?: boolean } = {},
): { server: Server; close: () => void; logLevel: () => LoggingLevel } {
  const server = new Server(deps.serverInfo, {
    capabilities: {
      tools: { listChanged: true },
      resources: { listChanged: true, subscribe: true },
      prompts: { listChanged: true },
      completions: {},
      logging: {},
    },
  });
  let minLevel: LoggingLevel = "info";

  /** Wraps a handler so every failure becomes a JSON-RPC error with the gateway's code and the request id. */
  const handle =
    <P, R>(fn: (request: P, extra: Extra, info: McpRequestInfo) => Promise<R>) =>
    async (request: P, extra: Extra): Promise<R> => {
      let info: McpRequestInfo | undefined;
      try {
        info = infoOf(extra);
        return await fn(request, extra, info);
      } catch (error) {
        throw toJsonRpcFailure(error, info?.requestId, deps.production);
      }
    };

  /** The plugin call context of a request; `signal` is the policy's (client cancel and request deadline). */
  const contextFor = (extra: Extra, info: McpRequestInfo, signal = extra.signal): HostCallContext => {
    const progressToken = extra._meta?.progressToken;
    return {
      signal,
      caller: { keyId: info.caller.keyId, scopes: info.caller.scopes },
      requestId: info.requestId,
      wantsProgress: progressToken !== undefined,
      reportProgress: (progress, total, message) =>
        progressToken === undefined
          ? undefined
          : extra.sendNotification({
              method: "notifications/progress",
              params: {
                progressToken,
                progress,
                ...(total === undefined ? {} : { total }),
                ...(message ? { message } : {}),
              },
            }),
      log: (level, data) =>
        logLevelAllows(minLevel, level)
          ? extra.sendNotification({ method: "notifications/message", params: { level, data } })
          : undefined,
      clientRequests: options.stateless
        ? STATELESS_CLIENT_REQUESTS
        : {
            createMessage: (params) =>
              extra.sendRequest(
                { method: "sampling/createMessage", params: asV1CreateMessageParams(params) },
                CreateMessageResultSchema,
              ),
            elicitInput: (params) =>
              extra.sendRequest({ method: "elicitation/create", params }, ElicitResultSchema),
            listRoots: () => extra.sendRequest({ method: "roots/list" }, ListRootsResultSchema),
          },
    };
  };

  /** Base of a policy request for this session's view. */
  const requestOf = (info: McpRequestInfo, extra: Extra) => ({
    caller: info.caller,
    requestId: info.requestId,
    transport: "mcp" as const,
    view,
    signal: extra.signal,
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
    ListToolsRequestSchema,
    handle((request, extra, info) =>
      deps.policy.run({
        ...requestOf(info, extra),
        method: "tools/list",
        arguments: request.params,
        run: async () => {
          const { tools } = await deps.router.listTools(view);
          return {
            tools: tools.filter((t) => capabilityAllowed(info.caller, t.entry.exposed)).map((t) => t.tool),
          };
        },
      }),
    ),
  );

  server.setRequestHandler(
    CallToolRequestSchema,
    handle(async (request, extra, info) => {
      const context = contextFor(extra, info);
      return deps.policy.callTool({
        caller: info.caller,
        requestId: info.requestId,
        transport: "mcp",
        view,
        name: request.params.name,
        arguments: request.params.arguments ?? {},
        signal: extra.signal,
        reportProgress: context.reportProgress,
        wantsProgress: context.wantsProgress !== false,
        ...(context.log ? { log: context.log } : {}),
        ...(context.clientRequests ? { clientRequests: context.clientRequests } : {}),
      });
    }),
  );

  server.setRequestHandler(
    ListResourcesRequestSchema,
    handle((request, extra, info) =>
      deps.policy.run({
        ...requestOf(info, extra),
        method: "resources/list",
        arguments: request.params,
        run: async () => ({
          resources: (await deps.router.listResources(view))
            .filter((r) => capabilityAllowed(info.caller, resourceCapability(r.server, r.resource.uri)))
            .map((r) => r.resource),
        }),
      }),
    ),
  );

  server.setRequestHandler(
    ListResourceTemplatesRequestSchema,
    handle((request, extra, info) =>
      deps.policy.run({
        ...requestOf(info, extra),
        method: "resources/templates/list",
        arguments: request.params,
        run: async () => ({
          resourceTemplates: (await deps.router.listResourceTemplates(view))
            .filter((t) =>
              capabilityAllowed(info.caller, resourceCapability(t.server, t.template.uriTemplate)),
            )
            .map((t) => t.template),
        }),
      }),
    ),
  );

  server.setRequestHandler(
    ReadResourceRequestSchema,
    handle((request, extra, info) =>
      deps.policy.run({
        ...requestOf(info, extra),
        method: "resources/read",
        name: request.params.uri,
        resolve: () => resourceTarget(request.params.uri),
        run: (signal, target) =>
          target!.backend.plugin.readResource(request.params.uri, contextFor(extra, info, signal)),
      }),
    ),
  );

  // The plugin interface has no subscription hook yet: a plugin that offers `subscribeResource` gets updates
  // forwarded; for others the subscription is accepted and kept, and list_changed still reaches the client.
  const subscriptions = new Map<string, () => void>();
  server.setRequestHandler(
    SubscribeRequestSchema,
    handle((request, extra, info) =>
      deps.policy.run({
        ...requestOf(info, extra),
        method: "resources/subscribe",
        name: request.params.uri,
        resolve: () => resourceTarget(request.params.uri),
        run: async (_signal, target) => {
          const { uri } = request.params;
          if (subscriptions.has(uri)) return {};
          const plugin = target!.backend.plugin;
          const hook = (plugin as Partial<ResourceSubscriber>).subscribeResource;
          const off = hook
            ? await hook.call(plugin, uri, () => {
                server.sendResourceUpdated({ uri }).catch(() => {});
              })
            : () => {};
          subscriptions.set(uri, off);
          return {};
        },
      }),
    ),
  );

  server.setRequestHandler(
    UnsubscribeRequestSchema,
    handle((request, extra, info) =>
      deps.policy.run({
        ...requestOf(info, extra),
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
    ListPromptsRequestSchema,
    handle((request, extra, info) =>
      deps.policy.run({
        ...requestOf(info, extra),
        method: "prompts/list",
        arguments: request.params,
        run: async () => ({
          prompts: (await deps.router.listPrompts(view))
            .filter((p) => capabilityAllowed(info.caller, p.entry.exposed))
            .map((p) => p.prompt),
        }),
      }),
    ),
  );

  server.setRequestHandler(
    GetPromptRequestSchema,
    handle((request, extra, info) =>
      deps.policy.run({
        ...requestOf(info, extra),
        method: "prompts/get",
        name: request.params.name,
        arguments: request.params.arguments,
        resolve: () => promptTarget(request.params.name),
        run: (signal, target) =>
          target!.backend.plugin.getPrompt(
            target!.original,
            request.params.arguments ?? {},
            contextFor(extra, info, signal),
          ),
      }),
    ),
  );

  server.setRequestHandler(
    CompleteRequestSchema,
    handle((request, extra, info) => {
      const { ref } = request.params;
      return deps.policy.run({
        ...requestOf(info, extra),
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
          return target!.backend.plugin.complete(params, contextFor(extra, info, signal));
        },
      });
    }),
  );

  server.setRequestHandler(
    SetLevelRequestSchema,
    handle((request, extra, info) =>
      deps.policy.run({
        ...requestOf(info, extra),
        method: "logging/setLevel",
        arguments: request.params,
        run: async () => {
          minLevel = request.params.level;
          return {};
        },
      }),
    ),
  );

  const unsubscribe = deps.router.onListChanged((kind, changed) => {
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
  return { server, close, logLevel: () => minLevel };
}
