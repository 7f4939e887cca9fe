// The `input_required` rounds of a 2026-07-28 request: answered with the calling client's handlers until the
// upstream has what it asked for. A 2025 request takes no rounds.
import {
  type Client,
  type CreateMessageRequestParams,
  type ElicitRequestParams,
  type InputRequest,
  type InputRequiredResult,
  isInputRequiredResult,
} from "@modelcontextprotocol/client";
import type { ClientRequests } from "../plugin.js";

/** Rounds a call may take before the bridge gives up (the SDK's own driver stops at the same number). */
export const MAX_INPUT_ROUNDS = 8;

/** What a retry of a request carries: the answers to the last round, and the state the upstream handed out. */
export interface RoundAnswers {
  inputResponses: Record<string, unknown>;
  requestState?: string;
}

/** Answers one question of a round with the calling client's handler for its method, under the upstream's key. */
function answer(key: string, request: InputRequest, handlers: ClientRequests): Promise<unknown> {
  const { method, params } = request as { method: string; params?: unknown };
  if (method === "sampling/createMessage")
    return handlers.createMessage(params as CreateMessageRequestParams, { key });
  if (method === "elicitation/create") return handlers.elicitInput(params as ElicitRequestParams, { key });
  if (method === "roots/list") return handlers.listRoots({ key });
  return Promise.reject(new Error(`The upstream asked for '${method}', which no MCP client answers`));
}

/**
 * Runs a request of a 2026-07-28 upstream, answering each `input_required` round with the handlers of the call that
 * made it, so two calls in flight never get each other's answers. `send` makes the request, with the last round's
 * answers when there is one, and must ask the SDK to hand `input_required` back (`allowInputRequired`).
 */
export async function withInputRounds<R>(
  send: (answers: RoundAnswers | undefined) => Promise<R | InputRequiredResult>,
  handlers: ClientRequests | undefined,
  upstream: string,
): Promise<R> {
  let answers: RoundAnswers | undefined;
  for (let round = 0; ; round++) {
    const result = await send(answers);
    if (!isInputRequiredResult(result)) return result as R;
    if (round >= MAX_INPUT_ROUNDS) {
      throw new Error(
        `Upstream '${upstream}' asked for input more than ${MAX_INPUT_ROUNDS} times in one call`,
      );
    }
    const questions = Object.entries(result.inputRequests ?? {});
    if (questions.length > 0 && !handlers) {
      throw new Error(`No client is available to answer the input upstream '${upstream}' asked for`);
    }
    const answered = await Promise.all(
      questions.map(async ([key, question]) => [key, await answer(key, question, handlers!)] as const),
    );
    answers = {
      inputResponses: Object.fromEntries(answered),
      ...(result.requestState !== undefined ? { requestState: result.requestState } : {}),
    };
  }
}

/**
 * Sends a request that may come back `input_required`. On a 2026-07-28 connection the bridge answers the rounds
 * itself with `handlers`, the call's own client (`withInputRounds`); on a 2025 one `send` runs once, and the
 * upstream's requests reach the client through the handlers set on the SDK client.
 */
export function sendWithRounds<R>(
  client: Client,
  handlers: ClientRequests | undefined,
  upstream: string,
  send: (answers: RoundAnswers | undefined, manual: { allowInputRequired?: true }) => Promise<unknown>,
): Promise<R> {
  if (client.getProtocolEra() !== "modern") return send(undefined, {}) as Promise<R>;
  return withInputRounds<R>(
    (answers) => send(answers, { allowInputRequired: true }) as Promise<R>,
    handlers,
    upstream,
  );
}
