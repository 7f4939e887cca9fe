// What an input_required round costs through the Redis relay: two gateways in this process on one libSQL file and a
// real redis-server; each call's first round goes to replica A, its second (the answer) to A itself or to B, which
// relays it to A. Prints the second round's wall time (p50/p99) both ways. Run: pnpm --filter @waygate/server bench:rounds
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRepositories, openDatabase } from "@waygate/core";
import { definePlugin, tool } from "@waygate/plugin-sdk";
import { z } from "zod";
import { createGateway, createLogger } from "../src/index.js";
import { createRedisRoundRelay } from "../src/redis/index.js";
import { startRedis } from "../test/support/redis-server.js";

const CALLS = Number(process.env.CALLS ?? 300);
const SECRET_KEY = "bench-secret-key-0123456789abcdef-0123456789";

const plugin = definePlugin({
  name: "rounds",
  version: "1.0.0",
  tools: {
    ask: tool({
      description: "Asks the client's model once",
      input: { q: z.string() },
      handler: async ({ q }, ctx) => {
        const reply = await ctx.clientRequests!.createMessage({
          messages: [{ role: "user", content: { type: "text", text: q } }],
          maxTokens: 5,
        });
        return reply.content.type === "text" ? reply.content.text : "?";
      },
    }),
  },
});

const redis = await startRedis();
const dir = mkdtempSync(join(tmpdir(), "waygate-bench-rounds-"));
const url = `file:${join(dir, "waygate.db")}`;
const replicas = [];
for (let i = 0; i < 2; i++) {
  const db = await openDatabase({ url });
  const gateway = await createGateway({
    database: db,
    secretKey: SECRET_KEY,
    env: "test",
    logger: createLogger({ silent: true }),
    collectDefaultMetrics: false,
    plugins: [plugin],
    rateLimit: { limit: 1_000_000 },
    roundRelay: createRedisRoundRelay({ url: redis.url, secretKey: SECRET_KEY }),
  });
  const { url: base } = await gateway.listen({ host: "127.0.0.1", port: 0 });
  await gateway.ready();
  replicas.push({ gateway, db, base });
}
const [a, b] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
const { plaintext: key } = await createRepositories(a.db, { secretKey: SECRET_KEY }).apiKeys.create({
  name: "bench",
  scopes: ["tools:call"],
});
// Let both replicas subscribe.
await new Promise((resolve) => setTimeout(resolve, 500));

async function call(base: string, round?: { requestState: string; inputResponses: object }) {
  const response = await fetch(`${base}/mcp`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${key}`,
      accept: "application/json, text/event-stream",
      "content-type": "application/json",
      "mcp-method": "tools/call",
      "mcp-name": "rounds__ask",
      "mcp-protocol-version": "2026-07-28",
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: {
        name: "rounds__ask",
        arguments: { q: "2+2?" },
        _meta: {
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientInfo": { name: "bench", version: "1.0.0" },
          "io.modelcontextprotocol/clientCapabilities": { sampling: {} },
        },
        ...round,
      },
    }),
  });
  return (await response.json()) as { result?: Record<string, unknown>; error?: unknown };
}

/** Wall time and CPU time of this process (both replicas and the client) of a call's second round. */
interface Sample {
  ms: number;
  cpuMs: number;
}

async function secondRound(second: string): Promise<Sample> {
  const first = await call(a.base);
  const state = String(first.result?.requestState);
  const [question] = Object.keys((first.result?.inputRequests ?? {}) as object);
  const answer = { [question!]: { role: "assistant", model: "m", content: { type: "text", text: "4" } } };
  const cpu = process.cpuUsage();
  const started = performance.now();
  const done = await call(second, { requestState: state, inputResponses: answer });
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  if (!done.result || done.result.resultType === "input_required") throw new Error(JSON.stringify(done));
  return { ms, cpuMs: (used.user + used.system) / 1000 };
}

// Alternating, so that load on a shared machine falls on both ways alike.
const local: Sample[] = [];
const relayed: Sample[] = [];
for (let i = 0; i < 50; i++) await secondRound(i % 2 ? a.base : b.base); // warm-up
for (let i = 0; i < CALLS; i++) {
  local.push(await secondRound(a.base));
  relayed.push(await secondRound(b.base));
}

const at = (samples: Sample[], field: keyof Sample, q: number) => {
  const sorted = samples.map((s) => s[field]).sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!.toFixed(2).padStart(6);
};
console.log(`second round of a call, ${CALLS} calls each way   wall p50  wall p99  CPU p50 (ms)`);
for (const [label, samples] of [
  ["on the replica that parks it  ", local],
  ["through the Redis relay       ", relayed],
] as const) {
  console.log(
    `  ${label}               ${at(samples, "ms", 0.5)}    ${at(samples, "ms", 0.99)}    ${at(samples, "cpuMs", 0.5)}`,
  );
}

for (const replica of replicas) {
  await replica.gateway.close({ deadlineMs: 1000 });
  replica.db.close();
}
await redis.dispose();
rmSync(dir, { recursive: true, force: true });
