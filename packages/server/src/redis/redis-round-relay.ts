import { randomUUID } from "node:crypto";
import { ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/server";
import { createClient } from "@redis/client";
import type winston from "winston";
import { z } from "zod";
import type {
  RelayedRound,
  RelayedRoundHandler,
  RelayOutcome,
  RelaySink,
  RoundRelay,
} from "../mcp/round-relay.js";

/** Options of {@link createRedisRoundRelay}. */
export interface RedisRoundRelayOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` (REDIS_URL); the relay opens and closes its clients. */
  url: string;
  logger?: winston.Logger;
  /** Channel prefix; each replica listens on `<prefix><replica>` (default `waygate:rounds:`). */
  prefix?: string;
  /** How often a replica running a relayed round tells the replica that sent it that it is still at it (1000 ms). */
  aliveMs?: number;
  /** How long a sender waits without a word from the running replica before it gives the round up (5 × aliveMs). */
  silentMs?: number;
}

const RoundSchema = z.object({
  call: z.string().min(1).max(200),
  owner: z.string().max(200).nullable(),
  subject: z.string().min(1).max(100),
  inputResponses: z.record(z.string(), z.unknown()).optional(),
  envelope: z.record(z.string(), z.unknown()).optional(),
});

const OutcomeSchema = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({
    ok: z.literal(false),
    error: z.object({ code: z.number().int(), message: z.string(), data: z.unknown().optional() }),
  }),
]);

/** What replicas say to each other on their channels. */
const MessageSchema = z.discriminatedUnion("t", [
  z.object({ t: z.literal("round"), id: z.string(), from: z.string().min(1), round: RoundSchema }),
  z.object({ t: z.literal("cancel"), id: z.string() }),
  z.object({
    t: z.literal("notify"),
    id: z.string(),
    notification: z.object({ method: z.string(), params: z.record(z.string(), z.unknown()).optional() }),
  }),
  z.object({ t: z.literal("log"), id: z.string(), level: z.string(), data: z.unknown() }),
  z.object({ t: z.literal("alive"), id: z.string() }),
  z.object({ t: z.literal("done"), id: z.string(), outcome: OutcomeSchema }),
]);
type Message = z.infer<typeof MessageSchema>;

/** A round this replica relayed, waiting for the replica that runs it. */
interface Sent {
  hear(message: Message): void;
  fail(error: unknown): void;
}

/** A round relayed to this replica and running here. */
interface Serving {
  from: string;
  abort: AbortController;
  alive: NodeJS.Timeout;
}

const CONNECT_TIMEOUT_MS = 2000;

const retryWithout = "call the method again without requestState";

const replicaGone = () =>
  new ProtocolError(
    ProtocolErrorCode.InvalidParams,
    `The gateway replica that holds this call is gone (stopped or restarted), so this input_required round cannot resume it; ${retryWithout}`,
  );

const replicaSilent = (ms: number) =>
  new ProtocolError(
    ProtocolErrorCode.InternalError,
    `The gateway replica running this call stopped answering for ${ms} ms while it ran this input_required round; ${retryWithout}`,
  );

const relayUnreachable = (error: unknown) =>
  new ProtocolError(
    ProtocolErrorCode.InternalError,
    `Redis (REDIS_URL), which relays input_required rounds between gateway replicas, is unreachable (${describe(error)}); ` +
      `retry the round once Redis answers, or ${retryWithout}`,
  );

const shuttingDown = () =>
  new ProtocolError(
    ProtocolErrorCode.InternalError,
    `The gateway replica running this call is shutting down; ${retryWithout}`,
  );

/**
 * A round relay over Redis pub/sub. Each replica listens on its own channel; a round that reaches another replica
 * is published there, and the replica that parks the call publishes back its progress, log notifications, a
 * heartbeat and the outcome. A replica that is gone has no subscriber (the publish reaches no one), so the round
 * is refused at once instead of waiting.
 */
export function createRedisRoundRelay(options: RedisRoundRelayOptions): RoundRelay {
  const { logger } = options;
  const prefix = options.prefix ?? "waygate:rounds:";
  const aliveMs = options.aliveMs ?? 1000;
  const silentMs = options.silentMs ?? aliveMs * 5;
  const pub = createClient({
    url: options.url,
    // A relayed round fails at once while Redis is down, instead of queueing behind the outage.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 1000),
    },
  });
  const sub = pub.duplicate();
  const sent = new Map<string, Sent>();
  const serving = new Map<string, Serving>();
  let me: string | undefined;
  let listening: Promise<void> | undefined;
  let subscribed = false;
  let closed = false;

  const failSent = (error: unknown) => {
    for (const round of [...sent.values()]) round.fail(error);
  };
  // Without listeners node-redis would crash the process on a connection error. A lost subscription loses the
  // answers of the rounds this replica relayed: they fail now rather than at the silence timeout.
  pub.on("error", (error: Error) => logger?.debug("round relay: redis error", { error: describe(error) }));
  sub.on("error", (error: Error) => {
    logger?.debug("round relay: redis error", { error: describe(error) });
    failSent(relayUnreachable(error));
  });

  const publish = (replica: string, message: Message) =>
    pub.publish(`${prefix}${replica}`, JSON.stringify(message));

  const finish = (id: string, outcome: RelayOutcome) => {
    const running = serving.get(id);
    if (!running) return;
    serving.delete(id);
    clearInterval(running.alive);
    publish(running.from, { t: "done", id, outcome }).catch((error: unknown) =>
      logger?.warn("round relay: could not send a relayed round's outcome back", { error: describe(error) }),
    );
  };

  const serve = (handler: RelayedRoundHandler, message: Extract<Message, { t: "round" }>) => {
    const { id, from } = message;
    const tell = (reply: Message) => void publish(from, reply).catch(() => {});
    const abort = new AbortController();
    // A heartbeat no one hears means the outcome can reach no client: the call is cancelled, as when a client leaves.
    const alive = setInterval(() => {
      publish(from, { t: "alive", id }).then(
        (receivers) => {
          if (receivers === 0)
            abort.abort(new Error("The replica that relayed this input_required round is gone"));
        },
        (error: unknown) =>
          abort.abort(
            new Error(`Redis is unreachable, so this round's outcome cannot be relayed: ${describe(error)}`),
          ),
      );
    }, aliveMs);
    serving.set(id, { from, abort, alive });
    const { signal } = abort;
    const sink: RelaySink = {
      notify: (notification) => tell({ t: "notify", id, notification }),
      log: (level, data) => tell({ t: "log", id, level, data }),
    };
    handler(message.round as RelayedRound, sink, signal).then(
      (outcome) => finish(id, outcome),
      (error: unknown) =>
        finish(id, { ok: false, error: { code: ProtocolErrorCode.InternalError, message: describe(error) } }),
    );
  };

  const onMessage = (handler: RelayedRoundHandler) => (raw: string) => {
    let message: Message;
    try {
      message = MessageSchema.parse(JSON.parse(raw));
    } catch {
      logger?.warn("round relay: ignored a malformed message", { bytes: raw.length });
      return;
    }
    if (message.t === "round") serve(handler, message);
    else if (message.t === "cancel")
      serving.get(message.id)?.abort.abort(new Error("The client gave up the input_required round"));
    else sent.get(message.id)?.hear(message);
  };

  return {
    listen(replica, handler) {
      me = replica;
      listening = (async () => {
        await Promise.all([pub.connect(), sub.connect()]);
        await sub.subscribe(`${prefix}${replica}`, onMessage(handler));
        subscribed = true;
      })();
      listening.catch((error: unknown) =>
        logger?.warn("round relay: could not listen; rounds of calls parked here cannot be relayed", {
          error: describe(error),
        }),
      );
      return listening;
    },

    async send(to, round, sink, signal) {
      if (!listening || !me) throw relayUnreachable(new Error("the relay is not listening"));
      if (closed) throw shuttingDown();
      // node-redis keeps retrying a first connection that fails; a round waits for it only so long.
      if (!subscribed) {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no connection within ${CONNECT_TIMEOUT_MS} ms`)),
            CONNECT_TIMEOUT_MS,
          );
        });
        try {
          await Promise.race([listening, late]);
        } catch (error) {
          throw relayUnreachable(error);
        } finally {
          clearTimeout(timer);
        }
      }
      signal.throwIfAborted();
      const id = randomUUID();
      const from = me;
      return new Promise<RelayOutcome>((resolve, reject) => {
        let silence: NodeJS.Timeout;
        const hush = () => {
          clearTimeout(silence);
          silence = setTimeout(() => settle(() => reject(replicaSilent(silentMs))), silentMs);
        };
        const cancel = () => {
          publish(to, { t: "cancel", id }).catch(() => {});
          settle(() => reject(signal.reason));
        };
        const settle = (then: () => void) => {
          if (!sent.delete(id)) return;
          clearTimeout(silence);
          signal.removeEventListener("abort", cancel);
          then();
        };
        sent.set(id, {
          hear(message) {
            hush();
            if (message.t === "notify") sink.notify(message.notification);
            else if (message.t === "log") sink.log(message.level, message.data);
            else if (message.t === "done") settle(() => resolve(message.outcome as RelayOutcome));
          },
          fail: (error) => settle(() => reject(error)),
        });
        signal.addEventListener("abort", cancel, { once: true });
        hush();
        publish(to, { t: "round", id, from, round }).then(
          (receivers) => {
            if (receivers === 0) settle(() => reject(replicaGone()));
          },
          (error: unknown) => settle(() => reject(relayUnreachable(error))),
        );
      });
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const id of [...serving.keys()]) {
        serving.get(id)?.abort.abort(new Error("The gateway is shutting down"));
        const error = shuttingDown();
        finish(id, { ok: false, error: { code: error.code, message: error.message } });
      }
      failSent(shuttingDown());
      // Unsubscribing first: from now on a round for a call parked here is refused at once by its sender.
      if (sub.isOpen) await sub.close().catch(() => sub.destroy());
      if (pub.isOpen) await pub.close().catch(() => pub.destroy());
    },
  };
}

/** An error's message without any URL credentials. */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message || error.name : String(error);
  return message.replace(/\/\/[^@/\s]*@/g, "//***@");
}
