import { createHash, hkdfSync, randomUUID } from "node:crypto";
import {
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  createRequestStateCodec,
  type InputRequest,
  type InputRequiredResult,
  inputRequired,
  MissingRequiredClientCapabilityError,
  ProtocolError,
  ProtocolErrorCode,
  type ServerContext,
} from "@modelcontextprotocol/server";
import type { ClientRequests } from "@waygate/plugin-sdk";
import { mapsToGatewayError, toProtocolError } from "../errors/error-mapping.js";
import {
  RelayedMappedError,
  type RelayedRound,
  type RelayOutcome,
  type RelaySink,
  type RoundRelay,
} from "./round-relay.js";

/**
 * What the gateway signs into `requestState`: which parked call a round resumes, whose it is, which request it
 * answers, and where it runs.
 */
interface RoundState {
  call: string;
  owner: string | null;
  /** The request the call answers (see `roundSubject`): a round sent with another method or name is refused. */
  subject: string;
  /** The replica that parks the call. */
  replica: string;
}

/** The body of a call served in `input_required` rounds. */
export type RoundBody<R> = (round: {
  /** Asks the client through the next `input_required` round. */
  clientRequests: ClientRequests;
  /** Aborted when the client gives up a round in flight, or never comes back for a parked one. */
  signal: AbortSignal;
  /** The request of the round being served now, for progress and log notifications. */
  current: () => ServerContext;
}) => Promise<R>;

/** Settings of the round keeper. */
export interface InputRoundsOptions {
  /** Key of the `requestState` HMAC; at least 32 bytes. */
  key: Uint8Array;
  /** How long a parked call waits for its client's next round before it is cancelled. */
  parkMs: number;
  /**
   * The deadline of a whole call (`timeouts.toolCallMs`, read at each park): a parked call is cancelled as its
   * client's (it did not come back) just before the deadline would end it as a timeout of the tool, which answered.
   */
  callMs?: () => number;
  /** This replica's name in the state it mints; random by default (a restarted process is another replica). */
  replica?: string;
  /** Carries a round that reaches this replica to the replica that parks its call, and back. */
  relay?: RoundRelay;
  /** Whether a relayed call's unexpected errors are answered without their details, as in production. */
  production?: boolean;
}

/** Serves calls of 2026-07-28 clients that ask the client something mid-call, in `input_required` rounds. */
export interface InputRounds {
  /** The `requestState` check to give the MCP server (`ServerOptions.requestState.verify`). */
  verify: (state: string, ctx: ServerContext) => Promise<unknown>;
  /**
   * Runs `body` on a round without state, or resumes the parked call a verified `requestState` names. Answers with
   * the body's result, or with an `input_required` round carrying every question the call is waiting on.
   */
  serve<R>(
    ctx: ServerContext,
    caller: { owner: string | null; subject: () => string },
    body: RoundBody<R>,
  ): Promise<R | InputRequiredResult>;
  /** Calls parked now. */
  parked(): number;
  /** Cancels every parked call. */
  close(): void;
}

interface Question {
  request: InputRequest;
  resolve: (answer: unknown) => void;
  reject: (reason: unknown) => void;
}

/** One call between its rounds: the questions it waits on, and its outcome once it has one. */
class RoundCall {
  readonly questions = new Map<string, Question>();
  readonly abort = new AbortController();
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown };
  timer?: NodeJS.Timeout;
  /** When the call began (`performance.now()`), before its policy deadline started. */
  readonly started = performance.now();
  /** Takes the call off the shelf while it is parked; unset while a round runs it. */
  unpark?: () => void;
  private named?: string;
  private wake?: () => void;
  private asked = 0;

  constructor(
    readonly owner: string | null,
    private readonly subjectOf: () => string,
    public ctx: ServerContext,
  ) {
    this.preanswered = new Map(Object.entries(ctx.mcpReq.inputResponses ?? {}));
    // A cancelled call's questions will never be answered: a body awaiting one gets the reason instead of waiting
    // until the process ends.
    this.abort.signal.addEventListener(
      "abort",
      () => {
        for (const question of this.questions.values()) question.reject(this.abort.signal.reason);
        this.questions.clear();
      },
      { once: true },
    );
  }

  /** The request the call answers (`roundSubject`), worked out only once the call parks: most calls never do. */
  get subject(): string {
    this.named ??= this.subjectOf();
    return this.named;
  }

  readonly clientRequests: ClientRequests = {
    createMessage: (params, options) =>
      this.ask("sampling", inputRequired.createMessage(params), options?.key),
    elicitInput: (params, options) =>
      this.ask("elicitation", { method: "elicitation/create", params } as InputRequest, options?.key),
    listRoots: (options) => this.ask("roots", inputRequired.listRoots(), options?.key),
  } as ClientRequests;

  /** Answers the client sent with the call's first request, before anything was asked; used up by key. */
  private readonly preanswered: Map<string, unknown>;

  /** The capabilities the client declared in the envelope of the call's first request. */
  private declared(): ClientCapabilities {
    const envelope = this.ctx.mcpReq.envelope as Record<string, unknown> | undefined;
    return (envelope?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined) ?? {};
  }

  /**
   * Puts a question to the client in the next round. An upstream's round question (`upstreamKey` set) keeps the
   * upstream's key, and one the client cannot answer fails the call with -32021, as the upstream would have. Any
   * other question the client cannot answer is refused at once, as for a 2025 client, and leaves the call running.
   */
  private ask<T>(
    capability: "sampling" | "elicitation" | "roots",
    request: InputRequest,
    upstreamKey?: string,
  ): Promise<T> {
    if (this.abort.signal.aborted) return Promise.reject(this.abort.signal.reason);
    if (!this.declared()[capability]) {
      if (upstreamKey !== undefined) {
        const error = new MissingRequiredClientCapabilityError(
          { requiredCapabilities: { [capability]: {} } },
          `The call needs the client's ${capability} capability, which the client did not declare`,
        );
        this.settle({ ok: false, error });
        this.abort.abort(error);
        return Promise.reject(error);
      }
      return Promise.reject(new Error(`The MCP client did not declare the ${capability} capability`));
    }
    if (upstreamKey !== undefined && this.preanswered.has(upstreamKey)) {
      const answer = this.preanswered.get(upstreamKey);
      this.preanswered.delete(upstreamKey);
      return Promise.resolve(answer as T);
    }
    const key =
      upstreamKey !== undefined && !this.questions.has(upstreamKey) ? upstreamKey : `q${++this.asked}`;
    return new Promise<T>((resolve, reject) => {
      this.questions.set(key, { request, resolve: resolve as (answer: unknown) => void, reject });
      // Questions asked in the same turn go out in one round.
      setImmediate(() => this.wake?.());
    });
  }

  /** Records the call's outcome; the first one stands (a refusal that fails the call outruns the body's end). */
  settle(outcome: NonNullable<RoundCall["outcome"]>): void {
    if (this.outcome) return;
    this.outcome = outcome;
    this.wake?.();
  }

  /** Hands the client's answers to the questions they name; answers to anything else are ignored. */
  answer(responses: Record<string, unknown> | undefined): void {
    for (const [key, answer] of Object.entries(responses ?? {})) {
      const question = this.questions.get(key);
      if (!question) continue;
      this.questions.delete(key);
      question.resolve(answer);
    }
  }

  /** Resolves once the call has an outcome, or has questions for the client. */
  next(): Promise<void> {
    if (this.outcome || this.questions.size > 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = undefined;
        resolve();
      };
    });
  }
}

const expiredRound = () =>
  new ProtocolError(
    ProtocolErrorCode.InvalidParams,
    "This input_required round is no longer waiting (it expired, was answered already, or belongs to another caller or another request); call the method again without requestState",
  );

/** A round for a call parked on another replica, which this gateway cannot reach. */
const elsewhere = () =>
  new ProtocolError(
    ProtocolErrorCode.InvalidParams,
    "This input_required round belongs to a call this gateway process does not hold: it is parked on another " +
      "replica (or was lost when this gateway restarted), and the replicas share no relay. With several replicas, " +
      "set REDIS_URL to the same Redis on every replica (rounds are then relayed), or route each client's requests " +
      "to one replica; call the method again without requestState",
  );

/** A call context for a round relayed here: answers and envelope from the round, notifications back to its replica. */
const relayedContext = (round: RelayedRound, sink: RelaySink, signal: AbortSignal): ServerContext =>
  ({
    mcpReq: {
      inputResponses: round.inputResponses,
      envelope: round.envelope,
      signal,
      requestState: () => undefined,
      notify: async (notification: { method: string; params?: Record<string, unknown> }) =>
        sink.notify(notification),
      log: async (level: string, data: unknown) => sink.log(level, data),
    },
  }) as unknown as ServerContext;

/**
 * The HMAC key of round state, derived from WAYGATE_SECRET_KEY: every replica of a deployment already shares that
 * secret (API-key hashes need it), so each can verify a round another one minted, and no new secret is needed.
 */
export const roundStateKey = (secretKey: string): Uint8Array =>
  new Uint8Array(hkdfSync("sha256", secretKey, "waygate", "input_required request state v1", 32));

/**
 * Names the request a call answers, for its round state: the method, the gateway path's view and the tool, prompt or
 * resource, hashed so that the state a client holds does not spell out a resource URI.
 */
export const roundSubject = (method: string, view: string, name: string): string =>
  createHash("sha256").update(`${method}\0${view}\0${name}`).digest("base64url");

/** How long before its deadline a parked call is cancelled, so that its record names the client, not the tool. */
const PARK_BEFORE_DEADLINE_MS = 50;

/** Creates the keeper of parked calls. */
export function createInputRounds(options: InputRoundsOptions): InputRounds {
  const codec = createRequestStateCodec<RoundState>({
    key: options.key,
    ttlSeconds: Math.ceil(options.parkMs / 1000),
  });
  const replica = options.replica ?? randomUUID();
  const parked = new Map<string, RoundCall>();
  // Until it listens, rounds relayed here find no one (their replicas answer so); the relay logs why it cannot.
  options.relay?.listen(replica, (round, sink, signal) => serveRelayed(round, sink, signal)).catch(() => {});

  const park = async (call: RoundCall): Promise<InputRequiredResult> => {
    const id = randomUUID();
    parked.set(id, call);
    const unpark = () => {
      call.unpark = undefined;
      clearTimeout(call.timer);
      parked.delete(id);
    };
    call.unpark = unpark;
    // The call's deadline started after `call.started`; ending the park a little before it names the real cause.
    const beforeDeadline = options.callMs
      ? call.started + options.callMs() - PARK_BEFORE_DEADLINE_MS - performance.now()
      : Number.POSITIVE_INFINITY;
    call.timer = setTimeout(
      () => {
        unpark();
        call.abort.abort(new Error("The client did not answer the input_required round in time"));
      },
      Math.max(0, Math.min(options.parkMs, beforeDeadline)),
    );
    call.timer.unref();
    const inputRequests = Object.fromEntries([...call.questions].map(([key, q]) => [key, q.request]));
    return inputRequired({
      inputRequests,
      requestState: await codec.mint({ call: id, owner: call.owner, subject: call.subject, replica }),
    });
  };

  /** Takes the parked call a round names off the shelf, if it is there and the sender's. */
  const take = (id: string, owner: string | null, subject: string): RoundCall => {
    const found = parked.get(id);
    if (!found || found.owner !== owner || found.subject !== subject) throw expiredRound();
    found.unpark?.();
    return found;
  };

  /** Serves one round of `call`: until it ends, or parks again with questions for the client. */
  const run = async (call: RoundCall, signal: AbortSignal): Promise<unknown> => {
    // A client that gives up the round in flight cancels the call; a parked call waits for the next round.
    const giveUp = () => call.abort.abort(signal.reason);
    signal.addEventListener("abort", giveUp, { once: true });
    try {
      await call.next();
    } finally {
      signal.removeEventListener("abort", giveUp);
    }
    const { outcome } = call;
    if (!outcome) return park(call);
    if (outcome.ok) return outcome.value;
    throw outcome.error;
  };

  /** Sends a round to the replica that parks its call, passing its notifications on to this round's client. */
  const relayTo = async (state: RoundState, ctx: ServerContext): Promise<unknown> => {
    if (!options.relay) throw elsewhere();
    const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
    const round: RelayedRound = {
      call: state.call,
      owner: state.owner,
      subject: state.subject,
      ...(ctx.mcpReq.inputResponses ? { inputResponses: ctx.mcpReq.inputResponses } : {}),
      ...(envelope ? { envelope } : {}),
    };
    const sink: RelaySink = {
      notify: (notification) => void ctx.mcpReq.notify(notification as never).catch(() => {}),
      log: (level, data) => void ctx.mcpReq.log(level as never, data).catch(() => {}),
    };
    const outcome = await options.relay.send(state.replica, round, sink, ctx.mcpReq.signal);
    if (outcome.ok) return outcome.value;
    const { code, message, data, mapped } = outcome.error;
    throw mapped ? new RelayedMappedError(code, message, data) : new ProtocolError(code, message, data);
  };

  /** Resumes a call parked here for a round another replica received. */
  const serveRelayed = async (
    round: RelayedRound,
    sink: RelaySink,
    signal: AbortSignal,
  ): Promise<RelayOutcome> => {
    try {
      const call = take(round.call, round.owner, round.subject);
      call.ctx = relayedContext(round, sink, signal);
      call.answer(round.inputResponses);
      return { ok: true, value: await run(call, signal) };
    } catch (error) {
      const mapped = toProtocolError(error, undefined, options.production ?? false);
      return {
        ok: false,
        error: {
          code: mapped.code,
          message: mapped.message,
          ...(mapped.data === undefined ? {} : { data: mapped.data }),
          // The replica that answers the client adds its request id and details, as to a local error.
          ...(mapsToGatewayError(error) ? { mapped: true } : {}),
        },
      };
    }
  };

  return {
    verify: (state, ctx) => codec.verify(state, ctx),

    async serve(ctx, { owner, subject: subjectOf }, body) {
      const state = ctx.mcpReq.requestState<RoundState>();
      if (state === undefined) {
        const call = new RoundCall(owner, subjectOf, ctx);
        body({
          clientRequests: call.clientRequests,
          signal: call.abort.signal,
          current: () => call.ctx,
        }).then(
          (value) => call.settle({ ok: true, value }),
          (error: unknown) => call.settle({ ok: false, error }),
        );
        return run(call, ctx.mcpReq.signal) as never;
      }
      const subject = subjectOf();
      if (typeof state !== "object" || state === null || state.owner !== owner || state.subject !== subject)
        throw expiredRound();
      if (state.replica !== replica) return relayTo(state, ctx) as never;
      const call = take(state.call, owner, subject);
      call.ctx = ctx;
      call.answer(ctx.mcpReq.inputResponses);
      return run(call, ctx.mcpReq.signal) as never;
    },

    parked: () => parked.size,

    close() {
      for (const call of [...parked.values()]) {
        call.unpark?.();
        call.abort.abort(new Error("The gateway is shutting down"));
      }
    },
  };
}
