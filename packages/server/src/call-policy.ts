import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type winston from "winston";
import type { AuditRecord, AuditSink, CallOutcome } from "./audit.js";
import type { AuditGuard } from "./audit-guard.js";
import { ForbiddenError, GatewayError, UpstreamError } from "./errors.js";
import { normalizeError } from "./foreign-errors.js";
import type { HostCallContext } from "./hosted-plugin.js";
import type { GatewayMetrics } from "./metrics.js";
import { UNKNOWN_LABEL } from "./metrics.js";
import type { Caller } from "./request-context.js";
import type { ResolvedName, Router, View } from "./router.js";
import { hasScope } from "./scopes.js";
import { toolAllowed } from "./tool-patterns.js";

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
}

/** A tool call refused before dispatch (by the rate limiter), to be audited and counted. */
export interface RefusedCall {
  caller: Caller | undefined;
  requestId: string;
  transport: "mcp" | "rest";
  view: View;
  name: string;
  arguments: unknown;
  outcome: "rate_limited" | "denied";
  error: string;
}

/** The one place where a call is authorised, dispatched, timed, audited and counted. */
export interface CallPolicy {
  callTool(request: ToolCallRequest): Promise<CallToolResult>;
  recordRefused(refused: RefusedCall): Promise<void>;
  /** Calls currently running. */
  inFlight(): number;
  /** Refuses new calls and waits for running ones, up to the deadline; true when all finished. */
  drain(deadlineMs: number): Promise<boolean>;
}

/** What the policy needs from the gateway. */
export interface CallPolicyOptions {
  router: Router;
  audit: AuditSink;
  /** Refuses calls while audit rows cannot be committed. */
  auditGuard: AuditGuard;
  metrics: GatewayMetrics;
  logger: winston.Logger;
  toolCallTimeoutMs: number;
}

/** Creates the call policy of one gateway. */
export function createCallPolicy(options: CallPolicyOptions): CallPolicy {
  const running = new Set<Promise<unknown>>();
  let draining = false;

  /**
   * Counts, audits and logs one call. When the audit row cannot be committed it returns the error that
   * withholds the call's result (the caller must throw it), or `undefined` once the row is committed.
   */
  const finish = async (entry: AuditRecord, knownTool: boolean): Promise<GatewayError | undefined> => {
    const labels = {
      server: knownTool ? entry.server : UNKNOWN_LABEL,
      tool: knownTool ? entry.tool : UNKNOWN_LABEL,
      outcome: entry.outcome,
    };
    options.metrics.toolCalls.inc(labels);
    options.metrics.toolDuration.observe(labels, entry.durationMs / 1000);
    let auditError: GatewayError | undefined;
    try {
      await options.audit.record(entry);
      options.auditGuard.succeeded();
    } catch (error) {
      auditError = options.auditGuard.failed(error);
      options.metrics.auditFailures.inc({ stage: "withheld" });
      options.logger.error("audit write failed; the call's result is withheld", {
        requestId: entry.requestId,
        error: String((error as Error).message ?? error),
      });
    }
    options.logger.log(entry.outcome === "ok" ? "info" : "warn", "tool call", {
      requestId: entry.requestId,
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

  /** Runs the call and audits it; the result is released only once its audit row is committed. */
  async function runAudited(
    request: ToolCallRequest,
    resolved: ResolvedName,
    row: Omit<AuditRecord, "outcome" | "durationMs" | "error">,
    elapsed: () => number,
  ): Promise<CallToolResult> {
    let result: CallToolResult;
    try {
      result = await dispatch(request, resolved);
    } catch (thrown) {
      const error = normalizeError(thrown);
      const outcome: CallOutcome =
        GatewayError.isInstance(error) && error.code === "upstream_timeout" ? "timeout" : "error";
      const withheld = await finish(
        { ...row, outcome, error: (error as Error).message ?? String(error), durationMs: elapsed() },
        true,
      );
      throw withheld ?? error;
    }
    const withheld = await finish(
      {
        ...row,
        outcome: outcomeOf(result),
        ...(result.isError ? { error: firstText(result) } : {}),
        durationMs: elapsed(),
      },
      true,
    );
    if (withheld) throw withheld;
    return result;
  }

  async function dispatch(request: ToolCallRequest, resolved: ResolvedName): Promise<CallToolResult> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(request.signal?.reason);
    request.signal?.addEventListener("abort", onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new UpstreamError(
          "upstream_timeout",
          `Tool '${request.name}' did not answer within ${options.toolCallTimeoutMs} ms`,
        );
        controller.abort(error);
        reject(error);
      }, options.toolCallTimeoutMs);
    });
    try {
      const call = resolved.backend.plugin.callTool(resolved.original, request.arguments, {
        signal: controller.signal,
        caller: { keyId: request.caller.keyId, scopes: request.caller.scopes },
        requestId: request.requestId,
        reportProgress: request.reportProgress ?? (() => {}),
        wantsProgress: request.reportProgress !== undefined && request.wantsProgress !== false,
        ...(request.log ? { log: request.log } : {}),
        ...(request.clientRequests ? { clientRequests: request.clientRequests } : {}),
      });
      return await Promise.race([call, timeout]);
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener("abort", onAbort);
    }
  }

  async function callTool(request: ToolCallRequest): Promise<CallToolResult> {
    const started = performance.now();
    const base = {
      requestId: request.requestId,
      keyId: request.caller.keyId,
      transport: request.transport,
      arguments: request.arguments,
    };
    const elapsed = () => performance.now() - started;
    if (draining)
      throw new GatewayError("shutting_down", "The gateway is shutting down; retry on another instance");
    if (!hasScope(request.caller.scopes, "tools:call")) {
      const error = new ForbiddenError("This API key lacks the 'tools:call' scope", { scope: "tools:call" });
      await finish(
        {
          ...base,
          server: UNKNOWN_LABEL,
          tool: request.name,
          outcome: "denied",
          error: error.message,
          durationMs: elapsed(),
        },
        false,
      );
      throw error;
    }
    let resolved: ResolvedName;
    try {
      resolved = await options.router.resolveTool(request.view, request.name);
    } catch (error) {
      const server = request.view.kind === "single" ? request.view.server : UNKNOWN_LABEL;
      await finish(
        {
          ...base,
          server,
          tool: request.name,
          outcome: "error",
          error: String((error as Error).message),
          durationMs: elapsed(),
        },
        false,
      );
      throw error;
    }
    const row = { ...base, server: resolved.backend.name, tool: resolved.original };
    if (!toolAllowed(request.caller.toolPatterns, resolved.namespaced)) {
      const error = new ForbiddenError(
        `This API key may not call '${resolved.namespaced}' (not in its tool patterns)`,
        {
          tool: resolved.namespaced,
        },
      );
      await finish({ ...row, outcome: "denied", error: error.message, durationMs: elapsed() }, true);
      throw error;
    }
    try {
      await options.auditGuard.admit();
    } catch (error) {
      options.metrics.auditFailures.inc({ stage: "refused" });
      throw error;
    }
    const work = runAudited(request, resolved, row, elapsed);
    running.add(work);
    try {
      return await work;
    } finally {
      running.delete(work);
    }
  }

  return {
    callTool,
    async recordRefused(refused) {
      await finish(
        {
          requestId: refused.requestId,
          keyId: refused.caller?.keyId ?? null,
          transport: refused.transport,
          arguments: refused.arguments,
          server: refused.view.kind === "single" ? refused.view.server : UNKNOWN_LABEL,
          tool: refused.name,
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

function firstText(result: CallToolResult): string {
  const text = result.content?.find((part) => part.type === "text");
  return text && "text" in text ? String(text.text).slice(0, 500) : "tool returned an error";
}
