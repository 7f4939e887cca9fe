// 2026-07-28 input_required rounds across replicas: two gateways on one libSQL file and one real redis-server, and an
// SDK v2 client whose rounds after the first reach the other replica. The round is relayed through Redis to the
// replica that parks the call, which resumes it and sends the outcome back. Bad input next to the good: tampered
// state, another caller's round (refused by the owning replica too), the owning replica gone, Redis down mid-call,
// and replicas without Redis.
import { createHmac, hkdfSync, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { createClient } from "@redis/client";
import { createRepositories, openDatabase, type WaygateDatabase } from "@waygate/core";
import { definePlugin, tool } from "@waygate/plugin-sdk";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createGateway, createLogger, type Gateway } from "../src/index.js";
import { createRedisRoundRelay } from "../src/redis/index.js";
import { memoryLogger, post, SECRET_KEY } from "./helpers.js";
import { type RedisProcess, startRedis } from "./support/redis-server.js";

const FIXTURE = fileURLToPath(new URL("../../../fixtures/modern-server.ts", import.meta.url));
const TSX = import.meta.resolve("tsx");

interface Replica {
  gateway: Gateway;
  url: string;
  db: WaygateDatabase;
  closed: boolean;
  close(): Promise<void>;
}

let redis: RedisProcess;
let dir: string;
let dbUrl: string;
let key: string;
const replicas: Replica[] = [];
/** Calls of the `hold` tool, as they end: why each was aborted. */
let holds: string[] = [];
/** Calls of the `hold` tool whose question was answered and that now run. */
let holding = 0;

/** The tools that ask the client something mid-call. */
const roundsPlugin = () =>
  definePlugin({
    name: "rounds",
    version: "1.0.0",
    tools: {
      twice: tool({
        description: "Asks the client's model twice, reporting progress in between",
        input: { topic: z.string() },
        handler: async ({ topic }, ctx) => {
          const ask = async (text: string) => {
            const reply = await ctx.clientRequests!.createMessage({
              messages: [{ role: "user", content: { type: "text", text } }],
              maxTokens: 20,
            });
            return reply.content.type === "text" ? reply.content.text : "?";
          };
          const first = await ask(`${topic} 1`);
          await ctx.reportProgress(1, 2, "asked once");
          const second = await ask(`${topic} 2`);
          await ctx.reportProgress(2, 2, "asked twice");
          return `${first} / ${second}`;
        },
      }),
      hold: tool({
        description: "Asks the client's model once, then runs until the call is aborted",
        input: {},
        handler: async (_args, ctx) => {
          const aborted = new Promise<void>((resolve) =>
            ctx.signal.aborted
              ? resolve()
              : ctx.signal.addEventListener("abort", () => resolve(), { once: true }),
          );
          // A question the call is cancelled on fails with the cancel's reason; the abort below is what it waits on.
          await ctx
            .clientRequests!.createMessage({
              messages: [{ role: "user", content: { type: "text", text: "hold" } }],
              maxTokens: 20,
            })
            .catch(() => undefined);
          if (!ctx.signal.aborted) holding++;
          await aborted;
          holds.push(String((ctx.signal.reason as Error)?.message ?? ctx.signal.reason));
          return "released";
        },
      }),
      naive: tool({
        description: "Asks the client's model once and awaits the answer, without watching for a cancel",
        input: {},
        handler: async (_args, ctx) => {
          try {
            await ctx.clientRequests!.createMessage({
              messages: [{ role: "user", content: { type: "text", text: "naive" } }],
              maxTokens: 20,
            });
            holds.push("answered");
          } catch (error) {
            holds.push(`question failed: ${(error as Error).message}`);
          }
          return "done";
        },
      }),
    },
    resources: [
      {
        resource: {
          uri: "rounds://fails",
          name: "fails",
          description: "Asks the client's model, then fails",
        },
        read: async (ctx) => {
          await ctx.clientRequests!.createMessage({
            messages: [{ role: "user", content: { type: "text", text: "fails" } }],
            maxTokens: 20,
          });
          throw new Error("the resource failed after the client answered");
        },
      },
    ],
  });

interface ReplicaOptions {
  /** Without it, a round that reaches the other replica cannot be relayed. */
  relay?: boolean;
  /** How long a parked call waits for its next round. */
  parkMs?: number;
  /** Serves the legacy (2025) fixture over stdio, whose `sample` tool asks through a server-to-client request. */
  legacyUpstream?: boolean;
  /** Serves the 2026-07-28 fixture over stdio, whose `sample` tool answers `input_required`. */
  modernUpstream?: boolean;
  /** `timeouts.toolCallMs`. */
  toolCallMs?: number;
  logger?: ReturnType<typeof memoryLogger>["logger"];
}

/** A replica: its own gateway and database connection on the shared libSQL file, with or without the relay. */
async function startReplica(options: ReplicaOptions = {}): Promise<Replica> {
  const db = await openDatabase({ url: dbUrl });
  const gateway = await createGateway({
    database: db,
    secretKey: SECRET_KEY,
    env: "test",
    logger: options.logger ?? createLogger({ silent: true }),
    collectDefaultMetrics: false,
    plugins: [roundsPlugin()],
    ...(options.modernUpstream
      ? { upstreams: { modernstdio: { command: process.execPath, args: ["--import", TSX, FIXTURE] } } }
      : {}),
    ...(options.legacyUpstream
      ? {
          upstreams: {
            legacystdio: { command: process.execPath, args: ["--import", TSX, FIXTURE, "--legacy"] },
          },
        }
      : {}),
    timeouts: {
      ...(options.parkMs ? { sessionIdleMs: options.parkMs } : {}),
      ...(options.toolCallMs ? { toolCallMs: options.toolCallMs } : {}),
    },
    ...(options.relay === false
      ? {}
      : { roundRelay: createRedisRoundRelay({ url: redis.url, secretKey: SECRET_KEY }) }),
  });
  const { url } = await gateway.listen({ host: "127.0.0.1", port: 0 });
  await gateway.ready();
  const replica: Replica = {
    gateway,
    url,
    db,
    closed: false,
    async close() {
      if (replica.closed) return;
      replica.closed = true;
      await gateway.close({ deadlineMs: 2000 });
      db.close();
    },
  };
  replicas.push(replica);
  return replica;
}

/** A raw Redis client of the test's own, to watch and speak on the relay's channels. */
async function redisClient() {
  const client = createClient({ url: redis.url });
  client.on("error", () => {});
  await client.connect();
  return client;
}

/**
 * A relay message as a replica signs it, computed here from the documented format (not the relay's own code): the
 * key is HKDF-SHA256(secret, salt "waygate", info "input_required round relay v1"), the MAC covers the channel,
 * time, nonce and message. `secret` and `ts` change to forge a message or make it stale.
 */
function signed(
  channel: string,
  message: object,
  change: { secret?: string; ts?: number; n?: string } = {},
): string {
  const key = Buffer.from(
    hkdfSync("sha256", change.secret ?? SECRET_KEY, "waygate", "input_required round relay v1", 32),
  );
  const ts = change.ts ?? Date.now();
  const n = change.n ?? randomBytes(16).toString("base64url");
  const m = JSON.stringify(message);
  const mac = createHmac("sha256", key)
    .update(`waygate round relay v1\n${channel}\n${ts}\n${n}\n${m}`)
    .digest("base64url");
  return JSON.stringify({ v: 1, ts, n, m, mac });
}

/** Waits until `count` replicas listen for relayed rounds. */
async function relayListening(count: number): Promise<void> {
  const client = await redisClient();
  try {
    await until(
      async () =>
        ((await client.sendCommand(["PUBSUB", "CHANNELS", "waygate:rounds:*"])) as string[]).length >= count,
    );
  } finally {
    await client.close();
  }
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeEach(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), "waygate-rounds-"));
  dbUrl = `file:${join(dir, "waygate.db")}`;
  holds = [];
  holding = 0;
});

afterEach(async () => {
  for (const replica of replicas.splice(0).reverse()) await replica.close();
  await redis.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** Two replicas on the shared file and Redis, and a key both accept. */
async function twoReplicas(options: ReplicaOptions = {}): Promise<[Replica, Replica]> {
  const a = await startReplica(options);
  const b = await startReplica(options);
  key = await newKey(a);
  if (options.relay !== false) await relayListening(2);
  return [a, b];
}

async function newKey(replica: Replica): Promise<string> {
  const repos = createRepositories(replica.db, { secretKey: SECRET_KEY });
  const { plaintext } = await repos.apiKeys.create({ name: "rounds", scopes: ["tools:list", "tools:call"] });
  return plaintext;
}

/**
 * A 2026-07-28 SDK client that starts each call on `first` and sends every later round (a request carrying
 * `requestState`) to `rounds`, as a load balancer might. `served` lists the replica each request went to.
 */
async function modernClient(first: Replica, rounds: Replica, withKey = key) {
  const served: string[] = [];
  /** The `X-Request-Id` of each response to a `resources/read`, in order. */
  const readIds: string[] = [];
  const client = new Client(
    { name: "rounds-test", version: "1.0.0" },
    { versionNegotiation: { mode: { pin: "2026-07-28" } }, capabilities: { sampling: {} } },
  );
  client.setRequestHandler("sampling/createMessage", async (request) => ({
    role: "assistant" as const,
    model: "test-model",
    content: {
      type: "text" as const,
      text: `re ${(request.params.messages[0]!.content as { text: string }).text}`,
    },
  }));
  const transport = new StreamableHTTPClientTransport(new URL(`${first.url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${withKey}` } },
    fetch: async (input, init) => {
      const body = typeof init?.body === "string" ? JSON.parse(init.body) : undefined;
      const round = body?.params?.requestState !== undefined;
      if (body?.method === "tools/call") served.push(round ? "other" : "first");
      const response = await fetch(round ? String(input).replace(first.url, rounds.url) : input, init);
      if (body?.method === "resources/read") readIds.push(response.headers.get("x-request-id") ?? "");
      return response;
    },
  });
  await client.connect(transport);
  return { client, served, readIds };
}

const text = (result: unknown) =>
  ((result as { content: { text: string }[] }).content[0] ?? { text: "" }).text;

interface Captured {
  body: { jsonrpc: string; id: number; method: string; params: Record<string, unknown> };
  headers: Record<string, string>;
}

/** A first `tools/call` as the SDK client sends it (envelope and headers), to send again by hand with changes. */
async function captureCall(replica: Replica): Promise<Captured> {
  let captured: Captured | undefined;
  const client = new Client(
    { name: "rounds-capture", version: "1.0.0" },
    { versionNegotiation: { mode: { pin: "2026-07-28" } }, capabilities: { sampling: {} } },
  );
  // The client never answers: the call it began stays parked until the park timeout.
  client.setRequestHandler("sampling/createMessage", () => new Promise(() => {}));
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${replica.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
      fetch: async (input, init) => {
        const body = typeof init?.body === "string" ? JSON.parse(init.body) : undefined;
        if (body?.method === "tools/call" && !captured)
          captured = { body, headers: Object.fromEntries(new Headers(init?.headers).entries()) };
        return fetch(input, init);
      },
    }),
  );
  void client.callTool({ name: "rounds__twice", arguments: { topic: "capture" } }).catch(() => {});
  await until(() => captured !== undefined);
  await client.close();
  return captured!;
}

/** The first round of a `tools/call` sent by hand: the request as sent, and the `input_required` result. */
async function firstRound(replica: Replica, name: string, args: Record<string, unknown>, withKey = key) {
  const template = await captureCall(replica);
  const body = structuredClone(template.body);
  body.params.name = name;
  body.params.arguments = args;
  const headers = { ...template.headers, "mcp-name": name };
  const res = await send(replica, { body, headers }, withKey);
  const round = res.body.result as { resultType: string; requestState: string; inputRequests: object };
  expect(round).toMatchObject({ resultType: "input_required", requestState: expect.any(String) });
  const [question] = Object.keys(round.inputRequests);
  const answer = {
    [question!]: { role: "assistant", model: "m", content: { type: "text", text: "by hand" } },
  };
  return { body, headers, state: round.requestState, answer };
}

function send(replica: Replica, request: Captured, withKey = key) {
  return post(`${replica.url}/mcp`, request.body, { ...request.headers, authorization: `Bearer ${withKey}` });
}

/** Sends the next round of a call begun with `firstRound` to `replica`. */
function resume(
  replica: Replica,
  round: Awaited<ReturnType<typeof firstRound>>,
  change: { state?: string; withKey?: string } = {},
) {
  const body = structuredClone(round.body);
  body.id = 2;
  body.params.requestState = change.state ?? round.state;
  body.params.inputResponses = round.answer;
  return send(replica, { body, headers: round.headers }, change.withKey);
}

/** The payload of a `requestState` (signed, not encrypted: `v1.<payload>.<mac>`). */
const payloadOf = (state: string) =>
  (
    JSON.parse(Buffer.from(state.split(".")[1]!, "base64url").toString()) as {
      p: { call: string; owner: string; subject: string; replica: string };
    }
  ).p;

describe("input_required rounds across replicas sharing Redis", () => {
  it("a plugin's call that samples twice resumes on the replica that parks it while its rounds reach the other, with progress relayed", async () => {
    const [a, b] = await twoReplicas();
    const { client, served } = await modernClient(a, b);
    try {
      const progress: number[] = [];
      const result = await client.callTool(
        { name: "rounds__twice", arguments: { topic: "relay" } },
        { onprogress: (p) => progress.push(p.progress) },
      );
      expect(text(result)).toBe("re relay 1 / re relay 2");
      expect(served).toEqual(["first", "other", "other"]);
      // Progress reported while a relayed round ran reached the client through the replica it called.
      expect(progress).toContain(2);
    } finally {
      await client.close();
    }
  });

  it("a legacy stdio upstream's sampling request, asked on one replica, is answered through the other", async () => {
    const [a, b] = await twoReplicas({ legacyUpstream: true });
    const { client, served } = await modernClient(a, b);
    try {
      const result = await client.callTool({ name: "legacystdio__sample", arguments: { prompt: "2+2?" } });
      expect(text(result)).toBe("model said: re 2+2?");
      expect(served).toEqual(["first", "other"]);
    } finally {
      await client.close();
    }
  });

  it("refuses a tampered state on the receiving replica, and a round of another caller or another request there and on the owning replica", async () => {
    const [a, b] = await twoReplicas();
    const round = await firstRound(a, "rounds__twice", { topic: "x" });
    const tampered = round.state.slice(0, -2) + (round.state.endsWith("AA") ? "BB" : "AA");
    const refused = await resume(b, round, { state: tampered });
    expect(refused.body.error).toMatchObject({ code: -32602, message: "Invalid or expired requestState" });

    const other = await newKey(a);
    const stolen = await resume(b, round, { withKey: other });
    expect(stolen.body.error.code).toBe(-32602);
    expect(stolen.body.error.message).toContain("no longer waiting");

    // The caller's own state answers only the request it was minted for: not another tool, here or relayed.
    const renamed = {
      ...round,
      body: { ...round.body, params: { ...round.body.params, name: "rounds__other" } },
      headers: { ...round.headers, "mcp-name": "rounds__other" },
    };
    for (const replica of [a, b]) {
      const moved = await resume(replica, renamed);
      expect(moved.body.error).toMatchObject({ code: -32602 });
      expect(moved.body.error.message).toContain("another request");
    }

    // Speak on the relay directly, as a replica that skipped its own check would: the owner checks again.
    const payload = payloadOf(round.state);
    const probe = await redisClient();
    const listener = probe.duplicate();
    listener.on("error", () => {});
    await listener.connect();
    try {
      const answers: string[] = [];
      await listener.subscribe("waygate:rounds:probe", (message) => {
        answers.push(message);
      });
      await probe.publish(`waygate:rounds:${payload.replica}`, "not json at all");
      const channel = `waygate:rounds:${payload.replica}`;
      await probe.publish(
        channel,
        signed(channel, {
          t: "round",
          id: "r1",
          from: "probe",
          round: { call: payload.call, owner: "someone-else", subject: payload.subject },
        }),
      );
      await probe.publish(
        channel,
        signed(channel, {
          t: "round",
          id: "r2",
          from: "probe",
          round: { call: payload.call, owner: payload.owner, subject: "another-request" },
        }),
      );
      const doneOf = (id: string) =>
        answers.map((raw) => JSON.parse(JSON.parse(raw).m)).find((m) => m.t === "done" && m.id === id);
      await until(() => doneOf("r1") !== undefined && doneOf("r2") !== undefined);
      for (const id of ["r1", "r2"]) {
        const done = doneOf(id);
        expect(done).toMatchObject({ id, outcome: { ok: false, error: { code: -32602 } } });
        expect(done.outcome.error.message).toContain("no longer waiting");
      }
    } finally {
      await listener.close();
      await probe.close();
    }

    // The refusals left the call parked: its caller still resumes it, through the other replica.
    const first = await resume(b, round);
    expect(first.body.result).toMatchObject({ resultType: "input_required" });
  });

  it("answers an error relayed from the owning replica with the body a local one has: this replica's request id and the resource URI", async () => {
    const [a, b] = await twoReplicas();
    /** Reads the failing resource, starting on `a` and sending the next round to `rounds`. */
    const failedRead = async (rounds: Replica) => {
      const { client, readIds } = await modernClient(a, rounds);
      try {
        const { resources } = await client.listResources();
        const uri = resources.find((resource) => resource.uri.includes("fails"))!.uri;
        const error = (await client.readResource({ uri }).then(
          () => undefined,
          (thrown: unknown) => thrown,
        )) as { code: number; message: string; data: Record<string, unknown> };
        expect(readIds).toHaveLength(2);
        return { error, uri, requestId: readIds[1]! };
      } finally {
        await client.close();
      }
    };
    const local = await failedRead(a);
    const relayed = await failedRead(b);
    expect(local.error.data).toEqual({
      code: expect.any(String),
      requestId: local.requestId,
      uri: local.uri,
    });
    expect(relayed.error.data).toEqual({ ...local.error.data, requestId: relayed.requestId });
    expect(relayed.requestId).not.toBe(local.requestId);
    expect({ code: relayed.error.code, message: relayed.error.message }).toEqual({
      code: local.error.code,
      message: local.error.message,
    });
  });

  it("answers a round whose replica is gone with an error naming it, without waiting", async () => {
    const [a, b] = await twoReplicas();
    const round = await firstRound(a, "rounds__twice", { topic: "x" });
    await a.close();
    const res = await resume(b, round);
    expect(res.body.error.code).toBe(-32602);
    expect(res.body.error.message).toContain("replica that holds this call is gone");
    expect(res.body.error.message).toContain("without requestState");
  });

  it("says Redis is unreachable when it goes down between rounds, and resumes the call once it is back", async () => {
    const [a, b] = await twoReplicas();
    const round = await firstRound(a, "rounds__twice", { topic: "x" });
    await redis.stop();
    const res = await resume(b, round);
    expect(res.body.error.code).toBe(-32603);
    expect(res.body.error.message).toContain("Redis (REDIS_URL)");
    expect(res.body.error.message).toContain("unreachable");

    await redis.start();
    let resumed: Awaited<ReturnType<typeof resume>> | undefined;
    await until(async () => {
      resumed = await resume(b, round);
      return resumed.body.result !== undefined;
    });
    // The call asks its second question: the round reached the parked call and it went on.
    expect(resumed!.body.result).toMatchObject({ resultType: "input_required" });
  });

  it("fails a relayed round in flight when Redis goes down, and cancels the call where it runs", async () => {
    const [a, b] = await twoReplicas();
    const { client } = await modernClient(a, b);
    try {
      const call = client.callTool({ name: "rounds__hold", arguments: {} }).then(
        () => "answered",
        (error: Error) => error.message,
      );
      await until(() => holding === 1);
      await redis.stop();
      expect(await call).toContain("Redis (REDIS_URL)");
      await until(() => holds.length === 1);
      expect(holds[0]).toContain("Redis is unreachable");
    } finally {
      await client.close();
    }
  });

  it("cancels the call on the owning replica when the client gives up a relayed round", async () => {
    const [a, b] = await twoReplicas();
    const { client } = await modernClient(a, b);
    try {
      const giveUp = new AbortController();
      const call = client.callTool({ name: "rounds__hold", arguments: {} }, { signal: giveUp.signal });
      // The relayed round runs once the answer reached the call: it now holds until aborted.
      await until(() => holding === 1);
      giveUp.abort(new Error("the user gave up"));
      await expect(call).rejects.toThrow();
      await until(() => holds.length === 1);
      expect(holds[0]).toContain("gave up");
    } finally {
      await client.close();
    }
  });

  it("cancels a call parked on one replica after the park timeout, and its late round through the other is refused", async () => {
    const [a, b] = await twoReplicas({ parkMs: 1000 });
    const round = await firstRound(a, "rounds__hold", {});
    await until(() => holds.length === 1);
    expect(holds[0]).toContain("in time");
    const late = await resume(b, round);
    expect(late.body.error.code).toBe(-32602);
  });

  it("fails the question a cancelled call was waiting on, so a tool that awaits it without watching the signal ends", async () => {
    const [a] = await twoReplicas({ parkMs: 1000 });
    await firstRound(a, "rounds__naive", {});
    await until(() => holds.length === 1);
    expect(holds[0]).toBe("question failed: The client did not answer the input_required round in time");
  });
});

describe("a call parked between input_required rounds whose client never comes back", () => {
  it("a 2026 upstream's round: cancelled as the client's just before timeouts.toolCallMs, not recorded as the tool's timeout", async () => {
    // What the conformance suite's input-required scenarios do: take the first round, and never send the next.
    const { logger, entries } = memoryLogger();
    const a = await startReplica({ relay: false, modernUpstream: true, toolCallMs: 1500, logger });
    key = await newKey(a);
    const round = await firstRound(a, "modernstdio__sample", { prompt: "never answered" });
    const record = () =>
      entries.find(
        (entry) => entry.message === "tool call" && (entry as unknown as { tool: string }).tool === "sample",
      ) as unknown as { outcome: string; error: string } | undefined;
    await until(() => record() !== undefined);
    expect(record()!.outcome).not.toBe("timeout");
    expect(record()!.error).toContain("cancelled by the caller");
    expect(record()!.error).not.toContain("timeouts.toolCallMs");
    // The call is off the shelf: its late round is told so.
    const late = await resume(a, round);
    expect(late.body.error.code).toBe(-32602);
    expect(late.body.error.message).toContain("no longer waiting");
  });
});

describe("input_required rounds across replicas without Redis", () => {
  it("refuses a round that reaches another replica with an error naming both fixes", async () => {
    const [a, b] = await twoReplicas({ relay: false });
    const round = await firstRound(a, "rounds__twice", { topic: "x" });
    const res = await resume(b, round);
    expect(res.body.error.code).toBe(-32602);
    expect(res.body.error.message).toContain("set REDIS_URL to the same Redis on every replica");
    expect(res.body.error.message).toContain("route each client's requests to one replica");
    // The replica that parks the call still resumes it.
    const here = await resume(a, round);
    expect(here.body.result).toMatchObject({ resultType: "input_required" });
  });
});

describe("the Redis round relay on its own", () => {
  const round = { call: "c1", owner: "k1", subject: "s1" };
  const sink = { notify: () => {}, log: () => {} };

  it("gives a round up when the replica running it goes silent (crashed after it took the round)", async () => {
    // A subscriber that takes rounds and never answers, as a replica that died mid-round leaves its sender.
    const ghost = await redisClient();
    await ghost.subscribe("waygate:rounds:ghost", () => {});
    const relay = createRedisRoundRelay({ url: redis.url, secretKey: SECRET_KEY, aliveMs: 100 });
    try {
      await relay.listen("sender", async () => ({ ok: true, value: null }));
      const sent = relay.send("ghost", round, sink, new AbortController().signal);
      await expect(sent).rejects.toMatchObject({ code: -32603 });
      await expect(sent).rejects.toThrow("stopped answering for 500 ms");
    } finally {
      await relay.close();
      await ghost.close();
    }
  });

  it("answers a round still running on a replica that shuts down, and aborts it there", async () => {
    const owner = createRedisRoundRelay({ url: redis.url, secretKey: SECRET_KEY });
    const sender = createRedisRoundRelay({ url: redis.url, secretKey: SECRET_KEY });
    const aborted: unknown[] = [];
    let running = 0;
    try {
      await owner.listen("owner", (_round, _sink, signal) => {
        running++;
        return new Promise((resolve) =>
          signal.addEventListener("abort", () => {
            aborted.push(signal.reason);
            resolve({ ok: true, value: "too late" });
          }),
        );
      });
      await sender.listen("sender", async () => ({ ok: true, value: null }));
      const sent = sender.send("owner", round, sink, new AbortController().signal);
      await until(() => running === 1);
      await owner.close();
      expect(await sent).toMatchObject({
        ok: false,
        error: {
          code: -32603,
          message: expect.stringContaining("replica running this call is shutting down"),
        },
      });
      expect(aborted).toHaveLength(1);
      // Once it is gone, a round for it is refused at once.
      await expect(sender.send("owner", round, sink, new AbortController().signal)).rejects.toThrow(
        "replica that holds this call is gone",
      );
    } finally {
      await owner.close();
      await sender.close();
    }
  });

  it("drops unsigned, badly signed, tampered, stale and replayed messages, logging each cause once, and takes the well-signed fresh ones", async () => {
    const { logger, entries } = memoryLogger();
    const owner = createRedisRoundRelay({ url: redis.url, secretKey: SECRET_KEY, logger });
    const probe = await redisClient();
    const listener = probe.duplicate();
    listener.on("error", () => {});
    await listener.connect();
    const taken: string[] = [];
    const heard: string[] = [];
    const done = () =>
      heard
        .map((raw) => JSON.parse(JSON.parse(raw).m))
        .filter((m) => m.t === "done")
        .map((m) => m.id as string);
    try {
      await owner.listen("owner", async (got) => {
        taken.push(got.call);
        return { ok: true, value: "ran" };
      });
      await listener.subscribe("waygate:rounds:probe", (raw) => {
        heard.push(raw);
      });
      const channel = "waygate:rounds:owner";
      const message = (id: string) => ({ t: "round", id, from: "probe", round: { ...round, call: id } });
      const good = signed(channel, message("good"));
      const tampered = { ...JSON.parse(good), m: JSON.stringify(message("tampered")) };
      const dropped = [
        "not json at all",
        JSON.stringify(message("unsigned")),
        JSON.stringify({ ...JSON.parse(signed(channel, message("unsigned2"))), mac: undefined }),
        signed(channel, message("forged"), { secret: "another-secret-key-0123456789abcdef-0123" }),
        signed("waygate:rounds:elsewhere", message("redirected")),
        JSON.stringify(tampered),
        signed(channel, message("stale"), { ts: Date.now() - 60_000 }),
        signed(channel, message("future"), { ts: Date.now() + 60_000 }),
      ];
      for (const raw of dropped) expect(await probe.publish(channel, raw)).toBe(1);
      await probe.publish(channel, good);
      // The same message again, as someone who overheard it on the channel would send it.
      await probe.publish(channel, good);
      await probe.publish(channel, signed(channel, message("last")));
      await until(() => done().length === 2);
      expect(taken).toEqual(["good", "last"]);
      expect(done().sort()).toEqual(["good", "last"]);
      const drops = entries.filter((entry) => entry.message.startsWith("round relay: dropped"));
      expect(drops.map((entry) => (entry as unknown as { cause: string }).cause)).toEqual([
        "malformed",
        "unsigned",
        "badly signed",
        "stale",
        "replayed",
      ]);
      expect(drops.find((entry) => entry.message.includes("badly signed"))?.message).toContain(
        "same WAYGATE_SECRET_KEY",
      );
      // The replies are signed for the sender's channel with the shared key: the test's own check accepts them.
      const reply = JSON.parse(heard[0]!);
      expect(
        JSON.parse(signed("waygate:rounds:probe", JSON.parse(reply.m), { ts: reply.ts, n: reply.n })).mac,
      ).toBe(reply.mac);
    } finally {
      await owner.close();
      await listener.close();
      await probe.close();
    }
  });

  it("refuses to start without a secret key of at least 32 characters", () => {
    expect(() => createRedisRoundRelay({ url: redis.url, secretKey: "short" })).toThrow(
      "secretKey (WAYGATE_SECRET_KEY, at least 32 characters)",
    );
  });

  it("a replica with another secret key never runs a round: its sender gives up, the owner logs the bad signature", async () => {
    const { logger, entries } = memoryLogger();
    const owner = createRedisRoundRelay({ url: redis.url, secretKey: SECRET_KEY, logger });
    const sender = createRedisRoundRelay({
      url: redis.url,
      secretKey: "another-secret-key-0123456789abcdef-0123",
      aliveMs: 100,
    });
    let ran = 0;
    try {
      await owner.listen("owner", async () => {
        ran++;
        return { ok: true, value: null };
      });
      await sender.listen("sender", async () => ({ ok: true, value: null }));
      await expect(sender.send("owner", round, sink, new AbortController().signal)).rejects.toThrow(
        "stopped answering",
      );
      expect(ran).toBe(0);
      expect(entries.map((entry) => entry.message)).toContainEqual(expect.stringContaining("badly signed"));
    } finally {
      await owner.close();
      await sender.close();
    }
  });

  it("passes notifications and the outcome of a round back to its sender", async () => {
    const owner = createRedisRoundRelay({ url: redis.url, secretKey: SECRET_KEY });
    const sender = createRedisRoundRelay({ url: redis.url, secretKey: SECRET_KEY });
    try {
      await owner.listen("owner", async (got, relaySink) => {
        relaySink.notify({ method: "notifications/progress", params: { progress: 1 } });
        relaySink.log("info", { seen: got });
        return { ok: false, error: { code: -32602, message: "refused", data: { why: "test" } } };
      });
      await sender.listen("sender", async () => ({ ok: true, value: null }));
      const heard: unknown[] = [];
      const outcome = await sender.send(
        "owner",
        { ...round, inputResponses: { q1: { answer: 1 } } },
        { notify: (n) => heard.push(n), log: (level, data) => heard.push({ level, data }) },
        new AbortController().signal,
      );
      expect(outcome).toEqual({
        ok: false,
        error: { code: -32602, message: "refused", data: { why: "test" } },
      });
      expect(heard).toEqual([
        { method: "notifications/progress", params: { progress: 1 } },
        { level: "info", data: { seen: { ...round, inputResponses: { q1: { answer: 1 } } } } },
      ]);
    } finally {
      await owner.close();
      await sender.close();
    }
  });
});
