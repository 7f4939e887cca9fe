import type { ClientRequest } from "@modelcontextprotocol/server";
import { ForbiddenError } from "../errors/errors.js";
import { type Caller, callerNoun } from "../http/request-context.js";
import { NAME_SEPARATOR } from "../routing/naming.js";
import { hasScope, type Scope } from "./scopes.js";
import { toolAllowed } from "./tool-patterns.js";

/** The task methods: 2025-11-25's experimental tasks, and the `io.modelcontextprotocol/tasks` extension. */
export const TASK_METHODS = ["tasks/get", "tasks/result", "tasks/list", "tasks/cancel"] as const;
export type TaskMethod = (typeof TASK_METHODS)[number];

/** Every request method a client may send, as the MCP SDK's schemas list them (both eras), and the task methods. */
export type McpMethod = ClientRequest["method"] | TaskMethod;

/** What a method needs: a scope (or none), and whether it names one capability that the key's patterns must allow. */
export interface MethodRule {
  scope: Scope | null;
  /** True when the request names one tool, prompt, resource or template, checked against the key's patterns. */
  named: boolean;
}

/**
 * The policy of every request method. The `satisfies` makes the compiler refuse a method of the SDK's schemas that
 * has no decision here, and a test holds the table against the schemas at run time.
 * Reading lists and metadata needs `tools:list`; running anything on a server (a tool, a prompt, a resource read,
 * a task) needs `tools:call`.
 */
export const METHOD_RULES = {
  ping: { scope: null, named: false },
  initialize: { scope: null, named: false },
  "server/discover": { scope: null, named: false },
  "subscriptions/listen": { scope: "tools:list", named: false },
  "tools/list": { scope: "tools:list", named: false },
  "tools/call": { scope: "tools:call", named: true },
  "prompts/list": { scope: "tools:list", named: false },
  "prompts/get": { scope: "tools:call", named: true },
  "resources/list": { scope: "tools:list", named: false },
  "resources/templates/list": { scope: "tools:list", named: false },
  "resources/read": { scope: "tools:call", named: true },
  "resources/subscribe": { scope: "tools:list", named: true },
  "resources/unsubscribe": { scope: "tools:list", named: true },
  "completion/complete": { scope: "tools:list", named: true },
  "logging/setLevel": { scope: "tools:list", named: false },
  "tasks/get": { scope: "tools:call", named: false },
  "tasks/result": { scope: "tools:call", named: false },
  "tasks/list": { scope: "tools:call", named: false },
  "tasks/cancel": { scope: "tools:call", named: false },
} as const satisfies Record<McpMethod, MethodRule>;

/** One request to authorise: its method and, for a method that names a capability, that capability's pattern name. */
export interface Action {
  method: McpMethod;
  capability?: string;
}

/**
 * The name a key's capability patterns match for a capability of `server`: tools and prompts by their namespaced name
 * (`github__create_issue`), resources by `<server>__<uri>` and templates by `<server>__<uriTemplate>`. Server names
 * hold no `__`, so a pattern `github__*` covers every capability of `github` and nothing of another server.
 */
export function resourceCapability(server: string, uriOrTemplate: string): string {
  return `${server}${NAME_SEPARATOR}${uriOrTemplate}`;
}

/** True when the caller's patterns allow the capability (a key without patterns may use every capability). */
export function capabilityAllowed(caller: Caller, capability: string): boolean {
  return toolAllowed(caller.toolPatterns, capability);
}

/** How a refusal names what the caller tried, per method that names a capability. */
const VERBS: Partial<Record<McpMethod, string>> = {
  "tools/call": "call",
  "prompts/get": "get prompt",
  "resources/read": "read",
  "resources/subscribe": "subscribe to",
  "resources/unsubscribe": "unsubscribe from",
  "completion/complete": "complete arguments of",
};

/** Throws the ForbiddenError a caller gets for `action`, or returns when the caller may do it. */
export function authorize(caller: Caller, action: Action): void {
  const rule: MethodRule = METHOD_RULES[action.method];
  if (rule.scope && !hasScope(caller.scopes, rule.scope)) {
    throw new ForbiddenError(`${callerNoun(caller)} lacks the '${rule.scope}' scope`, { scope: rule.scope });
  }
  if (rule.named && action.capability !== undefined && !capabilityAllowed(caller, action.capability)) {
    const verb = VERBS[action.method] ?? `use (${action.method})`;
    throw new ForbiddenError(
      `${callerNoun(caller)} may not ${verb} '${action.capability}' (not in its capability patterns)`,
      { capability: action.capability },
    );
  }
}

/** The scope check alone, for a method whose capability is known only after the request is resolved. */
export function authorizeScope(caller: Caller, method: McpMethod): void {
  authorize(caller, { method });
}
