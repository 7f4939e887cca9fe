import { ProtocolError } from "@modelcontextprotocol/server";

/**
 * A round of a 2026-07-28 call parked on another replica: what the replica that received it hands to the replica
 * that parks the call.
 */
export interface RelayedRound {
  /** The parked call, as named in the verified `requestState`. */
  call: string;
  /** The key that sent this round; the owning replica refuses it unless the call is that key's. */
  owner: string | null;
  /** The request the call answers (`roundSubject`); the owning replica refuses a round for another one. */
  subject: string;
  /** The client's answers to the call's questions. */
  inputResponses?: Record<string, unknown>;
  /** The round's `_meta` envelope: the client capabilities it declares. */
  envelope?: Record<string, unknown>;
}

/** What the call sends the client while a relayed round runs: progress and log notifications. */
export interface RelaySink {
  notify(notification: { method: string; params?: Record<string, unknown> }): void;
  log(level: string, data: unknown): void;
}

/**
 * How a relayed round ended: its result (a final one, or the next `input_required` round), or a JSON-RPC error.
 * `mapped` marks an error the gateway mapped from a thrown one: the replica that answers the client adds its request
 * id and the request's details (a resource's URI) to `data`, as it does for a local error.
 */
export type RelayOutcome =
  | { ok: true; value: unknown }
  | { ok: false; error: { code: number; message: string; data?: unknown; mapped?: boolean } };

/**
 * A mapped error relayed back from the replica that runs the call: the error mapping completes its `data` with this
 * replica's request id and details, so the client gets the body a local error would have.
 */
export class RelayedMappedError extends ProtocolError {}

/** Serves a round relayed to this replica; `signal` aborts when the client gives the round up. */
export type RelayedRoundHandler = (
  round: RelayedRound,
  sink: RelaySink,
  signal: AbortSignal,
) => Promise<RelayOutcome>;

/**
 * Carries `input_required` rounds between replicas, so that a round may reach any replica and still resume the call
 * the replica that parked it is running. `@waygate/server/redis` has one over Redis pub/sub.
 */
export interface RoundRelay {
  /** Starts taking rounds relayed to `replica` (this replica's name in `requestState`). */
  listen(replica: string, handler: RelayedRoundHandler): Promise<void>;
  /**
   * Relays `round` to the replica named `to` and resolves with its outcome. Rejects with an error naming the cause
   * when that replica is gone, stops answering, or the relay itself is unreachable; aborting `signal` cancels the
   * round there.
   */
  send(to: string, round: RelayedRound, sink: RelaySink, signal: AbortSignal): Promise<RelayOutcome>;
  /** Answers rounds still running here with an error, stops listening and closes the relay's connections. */
  close(): Promise<void>;
}
