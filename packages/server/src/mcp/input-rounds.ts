import { randomUUID } from "node:crypto";
import {
  createRequestStateCodec,
  type InputRequest,
  type InputRequiredResult,
  inputRequired,
  ProtocolError,
  ProtocolErrorCode,
  type ServerContext,
} from "@modelcontextprotocol/server";
import type { ClientRequests } from "@waygate/plugin-sdk";

/** What the gateway signs into `requestState`: which parked call a round resumes, and whose it is. */
interface RoundState {
  call: string;
  owner: string | null;
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
}

/** Serves calls of 2026-07-28 clients that ask the client something mid-call, in `input_required` rounds. */
export interface InputRounds {
  /** The `requestState` check to give the MCP server (`ServerOptions.requestState.verify`). */
  verify: (state: string, ctx: ServerContext) => Promise<unknown>;
  /**
   * Runs `body` on a round without state, or resumes the parked call a verified `requestState` names. Answers with
   * the body's result, or with an `input_required` round carrying every question the call is waiting on.
   */
  serve<R>(ctx: ServerContext, owner: string | null, body: RoundBody<R>): Promise<R | InputRequiredResult>;
  /** Calls parked now. */
  parked(): number;
  /** Cancels every parked call. */
  close(): void;
}

interface Question {
  request: InputRequest;
  resolve: (answer: unknown) => void;
}

/** One call between its rounds: the questions it waits on, and its outcome once it has one. */
class RoundCall {
  readonly questions = new Map<string, Question>();
  readonly abort = new AbortController();
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown };
  timer?: NodeJS.Timeout;
  private wake?: () => void;
  private asked = 0;

  constructor(
    readonly owner: string | null,
    public ctx: ServerContext,
  ) {}

  readonly clientRequests: ClientRequests = {
    createMessage: (params) => this.ask(inputRequired.createMessage(params)),
    elicitInput: (params) => this.ask({ method: "elicitation/create", params } as InputRequest),
    listRoots: () => this.ask(inputRequired.listRoots()),
  } as ClientRequests;

  private ask<T>(request: InputRequest): Promise<T> {
    if (this.abort.signal.aborted) return Promise.reject(this.abort.signal.reason);
    const key = `q${++this.asked}`;
    return new Promise<T>((resolve) => {
      this.questions.set(key, { request, resolve: resolve as (answer: unknown) => void });
      // Questions asked in the same turn go out in one round.
      setImmediate(() => this.wake?.());
    });
  }

  settle(outcome: NonNullable<RoundCall["outcome"]>): void {
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
    "This input_required round is no longer waiting (it expired, was answered already, or belongs to another caller); call the method again without requestState",
  );

/** Creates the keeper of parked calls. */
export function createInputRounds(options: InputRoundsOptions): InputRounds {
  const codec = createRequestStateCodec<RoundState>({
    key: options.key,
    ttlSeconds: Math.ceil(options.parkMs / 1000),
  });
  const parked = new Map<string, RoundCall>();

  const park = async (call: RoundCall): Promise<InputRequiredResult> => {
    const id = randomUUID();
    parked.set(id, call);
    call.timer = setTimeout(() => {
      parked.delete(id);
      call.abort.abort(new Error("The client did not answer the input_required round in time"));
    }, options.parkMs);
    call.timer.unref();
    const inputRequests = Object.fromEntries([...call.questions].map(([key, q]) => [key, q.request]));
    return inputRequired({ inputRequests, requestState: await codec.mint({ call: id, owner: call.owner }) });
  };

  return {
    verify: (state, ctx) => codec.verify(state, ctx),

    async serve(ctx, owner, body) {
      const state = ctx.mcpReq.requestState<RoundState>();
      let call: RoundCall;
      if (state === undefined) {
        call = new RoundCall(owner, ctx);
        const started = call;
        body({
          clientRequests: call.clientRequests,
          signal: call.abort.signal,
          current: () => started.ctx,
        }).then(
          (value) => started.settle({ ok: true, value }),
          (error: unknown) => started.settle({ ok: false, error }),
        );
      } else {
        const found = typeof state === "object" ? parked.get(state.call) : undefined;
        if (!found || found.owner !== owner || state.owner !== owner) throw expiredRound();
        parked.delete(state.call);
        clearTimeout(found.timer);
        call = found;
        call.ctx = ctx;
        call.answer(ctx.mcpReq.inputResponses);
      }
      // A client that gives up the round in flight cancels the call; a parked call waits for the next round.
      const giveUp = () => call.abort.abort(ctx.mcpReq.signal.reason);
      ctx.mcpReq.signal.addEventListener("abort", giveUp, { once: true });
      try {
        await call.next();
      } finally {
        ctx.mcpReq.signal.removeEventListener("abort", giveUp);
      }
      const { outcome } = call;
      if (!outcome) return park(call);
      if (outcome.ok) return outcome.value as never;
      throw outcome.error;
    },

    parked: () => parked.size,

    close() {
      for (const call of parked.values()) {
        clearTimeout(call.timer);
        call.abort.abort(new Error("The gateway is shutting down"));
      }
      parked.clear();
    },
  };
}
