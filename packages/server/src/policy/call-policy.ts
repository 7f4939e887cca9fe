import type { CallToolResult } from "@modelcontextprotocol/server";
import { FAILURE_META_KEY } from "@waygate/plugin-sdk";
import type winston from "winston";
import type { AuditRecord, AuditSink, CallOutcome } from "../audit.js";
import { GatewayError, UpstreamError } from "../errors/errors.js";
import { normalizeError } from "../errors/foreign-errors.js";
import type { Caller } from "../http/request-context.js";
import type { GatewayMetrics } from "../metrics.js";
import { UNKNOWN_LABEL } from "../metrics.js";
import type { Backend } from "../routing/backend.js";
import { splitNamespacedName } from "../routing/naming.js";
import type { Router, View } from "../routing/router.js";
import type { HostCallContext } from "../upstreams/hosted-plugin.js";
import type { AuditGuard } from "./audit-guard.js";
import { authorize, type McpMethod } from "./authorize.js";

/** What a request names once resolved: the backend that owns it, its own name there, and its pattern name. */
/** The audit row's principal of an OAuth caller (its subject and client), or nothing for an API key. */
function principalOf(caller: Caller | undefined): {
  principal?: { subject: string; clientId: string | null };
} {
  return caller?.principal
    ? { principal: { subject: caller.principal.subject, clientId: caller.principal.clientId } }
    : {};
}

export interface PolicyTarget {
  backend: Backend;
  /** The name or URI the backend knows it by (what the audit row records). */
  original: string;
  /** The name the key's capability patterns match (see `resourceCapability` in policy/authorize). */
  capability: string;
}

/** One MCP request (any method) or REST call as it enters the policy. */
export interface PolicyRequest<T> {
  caller: Caller;
  requestId: string;
  transport: "mcp" | "rest";
  view: View;
  method: McpMethod;
  /** What the client named (tool or prompt name, resource URI), for the audit row when it cannot be resolved. */
  name?: string;
  arguments?: unknown;
  /** Aborted when the client cancels or disconnects. */
  signal?: AbortSignal;
  /** Finds the backend the request goes to, after the scope check; absent for lists and session settings. */
  resolve?: () => Promise<PolicyTarget>;
  /** Does the work; `signal` aborts on the client's cancel and on the request deadline. */
  run: (signal: AbortSignal, target: PolicyTarget | undefined) => Promise<T>;
  /** How a result that did not throw is audited (a tool's error result is an "error"); "ok" by default. */
  outcomeOf?: (result: T) => { outcome: CallOutcome; error?: string };
}

/** One tool call as it enters the gateway, from MCP or REST. */
export interface ToolCallRequest {
  caller: Caller;
  requestId: string;
  transport: "mcp" | "rest";
  view: View;
  /** The name the client used (namespaced in the aggregate view, original in a single-server view). */
  name: string;
  arguments: Record<string, unknown>;
  /** Aborted when the client cancels or disconnects. */
  signal?: AbortSignal;
  reportProgress?: HostCallContext["reportProgress"];
  /** False when the client asked for no progress (MCP without a progress token, REST). */
  wantsProgress?: boolean;
  log?: HostCallContext["log"];
  clientRequests?: HostCallContext["clientRequests"];
  trace?: HostCallContext["trace"];
  clientCapabilities?: HostCallContext["clientCapabilities"];
}

/** A request refused before dispatch (by the rate limiter), to be audited and counted. */
export interface RefusedCall {
  caller: Caller | undefined;
  requestId: string;
  transport: "mcp" | "rest";
  view: View;
  /** The refused request's method; `tools/call` when not given. */
  method?: string;
  name: string | null;
  arguments: unknown;
  outcome: "rate_limited" | "denied";
  error: string;
}

/** The one place where a request of any method is authorised, dispatched, timed, audited and counted. */
export interface CallPolicy {
  /** Runs one request through the policy: scope, resolve, patterns, audit guard, deadline, audit, metrics. */
  run<T>(request: PolicyRequest<T>): Promise<T>;
  callTool(request: ToolCallRequest): Promise<CallToolResult>;
  recordRefused(refused: RefusedCall): Promise<void>;
  /** Requests currently running. */
  inFlight(): number;
  /** Refuses new requests and waits for running ones, up to the deadline; true when all finished. */
  drain(deadlineMs: number): Promise<boolean>;
}

/** What the policy needs from the gateway. */
export interface CallPolicyOptions {
  router: Router;
  audit: AuditSink;
  /** Refuses requests while audit rows cannot be committed. */
  auditGuard: AuditGuard;
  metrics: GatewayMetrics;
  logger: winston.Logger;
  /** Deadline of any request forwarded to a plugin or upstream. */
  toolCallTimeoutMs: number;
  /**
   * In production, the text of a call that failed (a plugin that threw, an upstream that could not be reached or
   * refused it) is replaced for the caller by a message with the request id; the log and the audit keep it.
   */
  production?: boolean;
}

/** Creates the call policy of one gateway. */
export function createCallPolicy(options: CallPolicyOptions): CallPolicy {
  const running = new Set<Promise<unknown>>();
  let draining = false;

  /**
   * Server and name of a request refused before it was resolved, as a served one is recorded: on the aggregate view
   * `<server>__<name>` is split when `<server>` is a running server (nothing is listed or asked to do so), so a
   * filter by server or tool finds refusals too. Anything else keeps the name as sent.
   */
  const refusedTarget = (
    view: View,
    name: string | null,
  ): Pick<AuditRecord, "server" | "tool"> | undefined => {
    if (view.kind === "single" || name === null) return undefined;
    const split = splitNamespacedName(name);
    return split && options.router.get(split.server) ? { server: split.server, tool: split.name } : undefined;
  };

  /**
   * Counts, audits and logs one request. When the audit row cannot be committed it returns the error that
   * withholds the result (the caller must throw it), or `undefined` once the row is committed.
   */
  const finish = async (entry: AuditRecord, known: boolean): Promise<GatewayError | undefined> => {
    const server = known && entry.server !== null ? entry.server : UNKNOWN_LABEL;
    options.metrics.mcpRequests.inc({ method: entry.method, server, outcome: entry.outcome });
    options.metrics.mcpRequestDuration.observe(
      { method: entry.method, server, outcome: entry.outcome },
      entry.durationMs / 1000,
    );
    if (entry.method === "tools/call") {
      const labels = {
        server,
        tool: known ? (entry.tool ?? UNKNOWN_LABEL) : UNKNOWN_LABEL,
        outcome: entry.outcome,
      };
      options.metrics.toolCalls.inc(labels);
      options.metrics.toolDuration.observe(labels, entry.durationMs / 1000);
    }
    let auditError: GatewayError | undefined;
    try {
      await options.audit.record(entry);
      options.auditGuard.succeeded();
    } catch (error) {
      auditError = options.auditGuard.failed(error);
      options.metrics.auditFailures.inc({ stage: "withheld" });
      options.logger.error("audit write failed; the request's result is withheld", {
        requestId: entry.requestId,
        error: String((error as Error).message ?? error),
      });
    }
    const message = entry.method === "tools/call" ? "tool call" : "mcp request";
    options.logger.log(entry.outcome === "ok" ? "info" : "warn", message, {
      requestId: entry.requestId,
      method: entry.method,
      keyId: entry.keyId,
      server: entry.server,
      tool: entry.tool,
      transport: entry.transport,
      outcome: entry.outcome,
      durationMs: Math.round(entry.durationMs * 100) / 100,
      ...(entry.error ? { error: entry.error } : {}),
      ...(auditError ? { audited: false } : {}),
    });
    return auditError;
  };

  /** Runs `work` with the request deadline; its signal aborts on the client's cancel and on the deadline. */
  async function withDeadline<T>(
    request: PolicyRequest<T>,
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const controller = new AbortController();
    function onAbort(this: AbortSignal) {
      controller.abort(this.reason);
    }
    request.signal?.addEventListener("abort", onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const what = request.name === undefined ? request.method : `${request.method} '${request.name}'`;
        const error = new UpstreamError(
          "upstream_timeout",
          `${what} did not answer within ${options.toolCallTimeoutMs} ms (timeouts.toolCallMs)`,
        );
        controller.abort(error);
        reject(error);
      }, options.toolCallTimeoutMs);
    });
    try {
      return await Promise.race([work(controller.signal), timeout]);
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener("abort", onAbort);
    }
  }

  async function admitAndRun<T>(request: PolicyRequest<T>, started: number): Promise<T> {
    const elapsed = () => performance.now() - started;
    const base = {
      requestId: request.requestId,
      method: request.method,
      keyId: request.caller.keyId,
      ...principalOf(request.caller),
      transport: request.transport,
      arguments: request.arguments,
    };
    // A request that names something it could not resolve is recorded against "unknown"; a list names no server.
    const viewServer =
      request.view.kind === "single" ? request.view.server : request.resolve ? UNKNOWN_LABEL : null;
    const refuse = async (
      error: unknown,
      outcome: CallOutcome,
      row: Partial<AuditRecord>,
      known: boolean,
    ) => {
      await finish(
        {
          ...base,
          server: viewServer,
          tool: request.name ?? null,
          outcome,
          error: String((error as Error).message ?? error),
          durationMs: elapsed(),
          ...row,
        },
        known,
      );
      throw error;
    };

    try {
      authorize(request.caller, { method: request.method });
    } catch (error) {
      return refuse(error, "denied", refusedTarget(request.view, request.name ?? null) ?? {}, false);
    }
    let target: PolicyTarget | undefined;
    if (request.resolve) {
      try {
        target = await request.resolve();
      } catch (error) {
        return refuse(error, "error", {}, false);
      }
    }
    const row = target ? { server: target.backend.name, tool: target.original } : {};
    if (target) {
      try {
        authorize(request.caller, { method: request.method, capability: target.capability });
      } catch (error) {
        return refuse(error, "denied", row, true);
      }
    }
    try {
      await options.auditGuard.admit();
    } catch (error) {
      options.metrics.auditFailures.inc({ stage: "refused" });
      throw error;
    }

    let result: T;
    try {
      result = await withDeadline(request, (signal) => request.run(signal, target));
    } catch (thrown) {
      const error = normalizeError(thrown);
      const outcome: CallOutcome =
        GatewayError.isInstance(error) && error.code === "upstream_timeout" ? "timeout" : "error";
      const withheld = await finish(
        {
          ...base,
          server: viewServer,
          tool: request.name ?? null,
          ...row,
          outcome,
          error: (error as Error).message ?? String(error),
          durationMs: elapsed(),
        },
        true,
      );
      throw withheld ?? error;
    }
    const audited = request.outcomeOf?.(result) ?? { outcome: "ok" as const };
    const withheld = await finish(
      {
        ...base,
        server: viewServer,
        tool: request.name ?? null,
        ...row,
        outcome: audited.outcome,
        ...(audited.error ? { error: audited.error } : {}),
        durationMs: elapsed(),
      },
      true,
    );
    if (withheld) throw withheld;
    return result;
  }

  async function run<T>(request: PolicyRequest<T>): Promise<T> {
    if (draining)
      throw new GatewayError("shutting_down", "The gateway is shutting down; retry on another instance");
    const work = admitAndRun(request, performance.now());
    running.add(work);
    try {
      return await work;
    } finally {
      running.delete(work);
    }
  }

  /** What a caller sees of a failed call in production: that it failed, and the id operators find it by. */
  const withheld = (result: CallToolResult, requestId: string): CallToolResult =>
    options.production && result.isError === true && result._meta?.[FAILURE_META_KEY] === true
      ? {
          content: [
            {
              type: "text",
              text: `The call failed in the gateway or its upstream; operators find the details in the gateway log under request id ${requestId}`,
            },
          ],
          isError: true,
          _meta: { [FAILURE_META_KEY]: true },
        }
      : result;

  function callTool(request: ToolCallRequest): Promise<CallToolResult> {
    return callToolAudited(request).then((result) => withheld(result, request.requestId));
  }

  function callToolAudited(request: ToolCallRequest): Promise<CallToolResult> {
    return run<CallToolResult>({
      caller: request.caller,
      requestId: request.requestId,
      transport: request.transport,
      view: request.view,
      method: "tools/call",
      name: request.name,
      arguments: request.arguments,
      ...(request.signal ? { signal: request.signal } : {}),
      resolve: async () => {
        const resolved = await options.router.resolveTool(request.view, request.name);
        return { backend: resolved.backend, original: resolved.original, capability: resolved.namespaced };
      },
      run: (signal, target) =>
        target!.backend.plugin.callTool(target!.original, request.arguments, {
          signal,
          caller: { keyId: request.caller.keyId, scopes: request.caller.scopes },
          requestId: request.requestId,
          reportProgress: request.reportProgress ?? (() => {}),
          wantsProgress: request.reportProgress !== undefined && request.wantsProgress !== false,
          ...(request.log ? { log: request.log } : {}),
          ...(request.clientRequests ? { clientRequests: request.clientRequests } : {}),
          ...(request.trace ? { trace: request.trace } : {}),
          ...(request.clientCapabilities ? { clientCapabilities: request.clientCapabilities } : {}),
        }),
      outcomeOf: (result) => ({
        outcome: outcomeOf(result),
        ...(result.isError ? { error: firstText(result) } : {}),
      }),
    });
  }

  return {
    run,
    callTool,
    async recordRefused(refused) {
      await finish(
        {
          requestId: refused.requestId,
          method: refused.method ?? "tools/call",
          keyId: refused.caller?.keyId ?? null,
          ...principalOf(refused.caller),
          transport: refused.transport,
          arguments: refused.arguments,
          server: refused.view.kind === "single" ? refused.view.server : null,
          tool: refused.name,
          ...refusedTarget(refused.view, refused.name),
          outcome: refused.outcome,
          error: refused.error,
          durationMs: 0,
        },
        false,
      );
    },
    inFlight: () => running.size,
    async drain(deadlineMs) {
      draining = true;
      if (running.size === 0) return true;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), deadlineMs);
      });
      const all = Promise.allSettled([...running]).then(() => true as const);
      const finished = await Promise.race([all, deadline]);
      clearTimeout(timer);
      return finished;
    },
  };
}

/** `_meta` key a bridge sets on a tool error result when its policy refused the call. */
export const DENIED_META_KEY = "waygate/denied";

/** "denied" for a bridge's policy refusal (an error result marked in `_meta`), else "error" or "ok". */
function outcomeOf(result: CallToolResult): CallOutcome {
  if (!result.isError) return "ok";
  const meta = result._meta as Record<string, unknown> | undefined;
  return meta?.[DENIED_META_KEY] ? "denied" : "error";
}

/**
 * `_meta` key of a result that asks the caller to sign in to an upstream: its text carries a one-time sign-in link
 * meant for that caller only, so the audit row and log record that a sign-in was asked for, never the link.
 */
export const SIGN_IN_META_KEY = "waygate/signIn";

function firstText(result: CallToolResult): string {
  const meta = result._meta as Record<string, unknown> | undefined;
  if (meta?.[SIGN_IN_META_KEY])
    return "the caller must sign in to the upstream first (sign-in link withheld)";
  const text = result.content?.find((part) => part.type === "text");
  return text && "text" in text ? String(text.text).slice(0, 500) : "tool returned an error";
}
