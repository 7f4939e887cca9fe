// One caller's request sent upstream: the `_meta` it carries, its deadline, cancellation and progress, the call
// kept in flight while it runs, and its failure described for the caller.
import {
  CLIENT_CAPABILITIES_META_KEY,
  type Client,
  LOG_LEVEL_META_KEY,
  type RequestOptions,
} from "@modelcontextprotocol/client";
import type { PluginCallContext } from "../plugin.js";
import type { CallsInFlight } from "./client-request-relay.js";
import type { RoundAnswers } from "./input-rounds.js";
import { describeUpstreamFailure } from "./upstream-failure.js";

/**
 * A 2026-era server logs only at the level each request asks for (and nothing when it asks for none); a 2025-era
 * one logs everything until told otherwise. Asking for `debug` keeps the two the same for the bridge.
 */
export const ALL_UPSTREAM_LOGS = { [LOG_LEVEL_META_KEY]: "debug" } as const;

/**
 * What a 2026-07-28 upstream is told the client can answer: what the calling client declared, of what the bridge can
 * pass on (sampling, elicitation, roots). Without it the upstream would take the bridge's own declaration, ask for
 * something the calling client cannot answer, and the call would fail instead of taking the upstream's other path.
 */
export const capabilitiesMeta = (ctx: PluginCallContext): Record<string, unknown> => {
  const declared = ctx.clientCapabilities;
  if (!declared) return {};
  const passed: Record<string, unknown> = {};
  for (const name of ["sampling", "elicitation", "roots"] as const) {
    if (declared[name] !== undefined) passed[name] = declared[name];
  }
  return { [CLIENT_CAPABILITIES_META_KEY]: passed };
};

/** The caller's trace context as `_meta` entries, so the upstream's spans join the caller's trace. */
export const traceMeta = (ctx: PluginCallContext): Record<string, string> =>
  ctx.trace
    ? {
        traceparent: ctx.trace.traceparent,
        ...(ctx.trace.tracestate ? { tracestate: ctx.trace.tracestate } : {}),
      }
    : {};

/** The `_meta` a read or prompt request carries upstream: the caller's trace, and on a 2026 connection its capabilities. */
export const requestMeta = (client: Client, ctx: PluginCallContext): Record<string, unknown> => ({
  ...(client.getProtocolEra() === "modern" ? capabilitiesMeta(ctx) : {}),
  ...traceMeta(ctx),
});

/** Request params with `_meta` (when there is any) and a round's answers (when there are any). */
export const withMeta = <P extends object>(
  params: P,
  meta: Record<string, unknown>,
  answers: RoundAnswers | undefined,
): P => ({ ...params, ...(Object.keys(meta).length > 0 ? { _meta: meta } : {}), ...answers });

/** What forwarding needs of its bridge, read when a request is sent or fails. */
export interface ForwardingLink {
  readonly upstream: string;
  readonly calls: CallsInFlight;
  /** The deadline of one forwarded request now. */
  deadlineMs(): number;
  /** Why the connection closed or misbehaved, when it did: it explains a failure better than the SDK's words. */
  closeReason(): string | undefined;
}

/**
 * Sends one caller's request upstream on `client`, with the caller's abort signal and the bridge's deadline, and its
 * progress passed on when the caller listens. A failure is described for the caller (timeout, cancellation, closed
 * connection). Kept free of `async` frames and per-call strings: it is on every call's path, and the operation's
 * description is only built when the call fails.
 */
export function forwardRequest<T>(
  client: Client,
  link: ForwardingLink,
  method: string,
  subject: string | undefined,
  ctx: PluginCallContext,
  send: (client: Client, options: RequestOptions) => Promise<T>,
): Promise<T> {
  const inFlight = link.calls;
  const fail = (error: unknown): never => {
    inFlight.delete(ctx);
    throw describeUpstreamFailure(error, {
      upstream: link.upstream,
      operation: subject === undefined ? method : `${method} '${subject}'`,
      timeoutMs: link.deadlineMs(),
      signal: ctx.signal,
      closeReason: link.closeReason(),
    });
  };
  inFlight.add(ctx);
  let sent: Promise<T>;
  try {
    // Asking the upstream for progress costs a token and a handler per request; skip both when nobody listens.
    sent = send(
      client,
      ctx.wantsProgress === false
        ? { signal: ctx.signal, timeout: link.deadlineMs() }
        : {
            signal: ctx.signal,
            timeout: link.deadlineMs(),
            onprogress: (progress) =>
              void ctx.reportProgress(progress.progress, progress.total, progress.message),
          },
    );
  } catch (error) {
    return Promise.reject(error).catch(fail);
  }
  return sent.then((result) => {
    inFlight.delete(ctx);
    return result;
  }, fail);
}
