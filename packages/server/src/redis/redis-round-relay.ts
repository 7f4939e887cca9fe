import { createHmac, hkdfSync, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
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
import { describeRedisError } from "./describe-error.js";

/** Options of {@link createRedisRoundRelay}. */
export interface RedisRoundRelayOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` (REDIS_URL); the relay opens and closes its clients. */
  url: string;
  /**
   * WAYGATE_SECRET_KEY, the same on every replica: each message is signed with a key derived from it
   * ({@link roundRelayKey}), and a message not signed with it is dropped.
   */
  secretKey: string;
  logger?: winston.Logger;
  /** Channel prefix; each replica listens on `<prefix><replica>` (default `waygate:rounds:`). */
  prefix?: string;
  /** How often a replica running a relayed round tells the replica that sent it that it is still at it (1000 ms). */
  aliveMs?: number;
  /** How long a sender waits without a word from the running replica before it gives the round up (5 × aliveMs). */
  silentMs?: number;
  /**
   * How far a message's timestamp may be from this replica's clock before it is dropped as stale (30 000 ms): the
   * window in which a replayed message is recognised by its nonce, and the clock skew replicas may have.
   */
  freshMs?: number;
}

/**
 * The HMAC key of relay messages, derived from WAYGATE_SECRET_KEY with its own HKDF label, so it is neither the
 * `requestState` key nor anything else derived from the secret.
 */
export const roundRelayKey = (secretKey: string): Uint8Array =>
  new Uint8Array(hkdfSync("sha256", secretKey, "waygate", "input_required round relay v1", 32));

/**
 * What goes on the channel: the message (`m`, JSON) with the time it was sent (`ts`, ms since the epoch), a random
 * nonce (`n`) and `mac`, the base64url HMAC-SHA256 of {@link macInput}.
 */
const EnvelopeSchema = z.object({
  v: z.literal(1),
  ts: z.number().int(),
  n: z.string().min(16).max(64),
  m: z.string(),
  mac: z.string(),
});

/** What a message's MAC covers: its channel (so it reaches only the replica it was sent to), time, nonce and body. */
const macInput = (channel: string, ts: number, nonce: string, body: string) =>
  `waygate round relay v1\n${channel}\n${ts}\n${nonce}\n${body}`;

/** Why a message was dropped; each is logged once per relay, not once per message. */
type DropCause = "malformed" | "unsigned" | "badly signed" | "stale" | "replayed";

const DROP_HINTS: Record<DropCause, string> = {
  malformed: "not a relay message: something else publishes on the channel",
  unsigned: "a gateway older than signed relay messages, or something else publishing on the channel",
  "badly signed":
    "signed with another key or for another channel: every replica needs the same WAYGATE_SECRET_KEY; otherwise someone else publishes on the channel",
  stale: "sent longer ago than freshMs: replica clocks too far apart, or a replay",
  replayed: "its nonce was seen already: a replay",
};

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
    error: z.object({
      code: z.number().int(),
      message: z.string(),
      data: z.unknown().optional(),
      mapped: z.boolean().optional(),
    }),
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
    `Redis (REDIS_URL), which relays input_required rounds between gateway replicas, is unreachable (${describeRedisError(error)}); ` +
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
  const freshMs = options.freshMs ?? 30_000;
  if (typeof options.secretKey !== "string" || options.secretKey.length < 32)
    throw new TypeError("createRedisRoundRelay needs secretKey (WAYGATE_SECRET_KEY, at least 32 characters)");
  const key = roundRelayKey(options.secretKey);
  const mac = (input: string) => createHmac("sha256", key).update(input).digest();
  /** Nonces of the fresh messages taken, with when each stops being fresh; oldest first. */
  const seen = new Map<string, number>();
  const dropsLogged = new Set<DropCause>();
  const drop = (cause: DropCause, channel: string) => {
    if (dropsLogged.has(cause)) return;
    dropsLogged.add(cause);
    logger?.warn(`round relay: dropped a ${cause} message (${DROP_HINTS[cause]}; logged once per cause)`, {
      cause,
      channel,
    });
  };
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
  pub.on("error", (error: Error) =>
    logger?.debug("round relay: redis error", { error: describeRedisError(error) }),
  );
  sub.on("error", (error: Error) => {
    logger?.debug("round relay: redis error", { error: describeRedisError(error) });
    failSent(relayUnreachable(error));
  });

  const publish = (replica: string, message: Message) => {
    const channel = `${prefix}${replica}`;
    const m = JSON.stringify(message);
    const ts = Date.now();
    const n = randomBytes(16).toString("base64url");
    const signature = mac(macInput(channel, ts, n, m)).toString("base64url");
    return pub.publish(channel, JSON.stringify({ v: 1, ts, n, m, mac: signature }));
  };

  /** The message in `raw` if it is well signed for `channel`, fresh and not seen before; otherwise drops it. */
  const open = (raw: string, channel: string): Message | undefined => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return void drop("malformed", channel);
    }
    if (typeof parsed !== "object" || parsed === null || !("mac" in parsed))
      return void drop("unsigned", channel);
    const envelope = EnvelopeSchema.safeParse(parsed);
    if (!envelope.success) return void drop("malformed", channel);
    const { ts, n, m } = envelope.data;
    const expected = mac(macInput(channel, ts, n, m));
    const given = Buffer.from(envelope.data.mac, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return void drop("badly signed", channel);
    const now = Date.now();
    if (Math.abs(now - ts) > freshMs) return void drop("stale", channel);
    for (const [nonce, until] of seen) {
      if (until >= now) break;
      seen.delete(nonce);
    }
    if (seen.has(n)) return void drop("replayed", channel);
    seen.set(n, ts + freshMs);
    const message = MessageSchema.safeParse(JSON.parse(m));
    if (!message.success) return void drop("malformed", channel);
    return message.data;
  };

  const finish = (id: string, outcome: RelayOutcome) => {
    const running = serving.get(id);
    if (!running) return;
    serving.delete(id);
    clearInterval(running.alive);
    publish(running.from, { t: "done", id, outcome }).catch((error: unknown) =>
      logger?.warn("round relay: could not send a relayed round's outcome back", {
        error: describeRedisError(error),
      }),
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
            new Error(
              `Redis is unreachable, so this round's outcome cannot be relayed: ${describeRedisError(error)}`,
            ),
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
        finish(id, {
          ok: false,
          error: { code: ProtocolErrorCode.InternalError, message: describeRedisError(error) },
        }),
    );
  };

  const onMessage = (handler: RelayedRoundHandler) => (raw: string, channel: string) => {
    let message: Message | undefined;
    try {
      message = open(raw, channel);
    } catch {
      message = void drop("malformed", channel);
    }
    if (!message) return;
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
          error: describeRedisError(error),
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
