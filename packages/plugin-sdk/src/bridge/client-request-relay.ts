// What an upstream sends towards a caller (its sampling, elicitation and roots requests, and its log messages),
// routed to the call in flight it belongs to, and never to another caller.
import {
  type Client,
  type LoggingMessageNotification,
  ProtocolError,
  ProtocolErrorCode,
} from "@modelcontextprotocol/client";
import type { Logger } from "../logger.js";
import type { ClientRequests, PluginCallContext } from "../plugin.js";

const LOG_LEVELS = { debug: "debug", info: "info", notice: "info", warning: "warn" } as const;

/** The calls a bridge has sent upstream and not yet seen answered. */
export class CallsInFlight {
  readonly #calls = new Set<PluginCallContext>();

  add(call: PluginCallContext): void {
    this.#calls.add(call);
  }

  delete(call: PluginCallContext): void {
    this.#calls.delete(call);
  }

  /** The call in flight when there is exactly one, else undefined. */
  only(): PluginCallContext | undefined {
    if (this.#calls.size !== 1) return undefined;
    const [only] = this.#calls;
    return only;
  }

  /**
   * Who answers a request of the upstream: the call whose abort signal the request came with (a 2026-07-28
   * `input_required` round), else the only call in flight (a 2025 server-to-client request names no call), else
   * `fallback` (the plugin's own hook).
   */
  handlersFor(signal: AbortSignal, fallback: ClientRequests | undefined): ClientRequests | undefined {
    for (const call of this.#calls)
      if (call.signal === signal && call.clientRequests) return call.clientRequests;
    return this.only()?.clientRequests ?? fallback;
  }
}

/**
 * Answers the upstream's sampling, elicitation and roots requests with the handlers `handlersFor` picks for the
 * request's abort signal; with none, the upstream gets an InvalidRequest error naming the bridge. On a 2026-era
 * connection the same handlers answer the `input_required` rounds of a call: the SDK answers a round with that
 * call's own abort signal in the handler's context, which names the call even when several are in flight.
 */
export function relayClientRequests(
  client: Client,
  upstream: string,
  handlersFor: (signal: AbortSignal) => ClientRequests | undefined,
): void {
  const forward = <T>(what: string, signal: AbortSignal, ask: (handlers: ClientRequests) => Promise<T>) => {
    const handlers = handlersFor(signal);
    if (!handlers) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidRequest,
        `No client is available to answer ${what} for '${upstream}'`,
      );
    }
    return ask(handlers);
  };
  client.setRequestHandler("sampling/createMessage", (request, ctx) =>
    forward("sampling/createMessage", ctx.mcpReq.signal, (h) => h.createMessage(request.params)),
  );
  client.setRequestHandler("elicitation/create", (request, ctx) =>
    forward("elicitation/create", ctx.mcpReq.signal, (h) => h.elicitInput(request.params)),
  );
  client.setRequestHandler("roots/list", (_request, ctx) =>
    forward("roots/list", ctx.mcpReq.signal, (h) => h.listRoots()),
  );
}

/**
 * Writes an upstream log message to the bridge's log, and passes it on to the caller when exactly one call is in
 * flight (a log message names no call).
 */
export function relayUpstreamLog(
  notification: LoggingMessageNotification,
  logger: Logger,
  calls: CallsInFlight,
): void {
  const { level, data, logger: upstreamLogger } = notification.params;
  const method = level in LOG_LEVELS ? LOG_LEVELS[level as keyof typeof LOG_LEVELS] : "error";
  logger[method]("upstream log", { level, logger: upstreamLogger, data });
  void calls.only()?.log?.(level, data);
}
