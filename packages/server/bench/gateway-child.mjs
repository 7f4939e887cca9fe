// Runs one gateway in its own process for the benchmark, from the built packages, and prints where it listens.
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRepositories, openDatabase } from "@waygate/core";
import { definePlugin, tool } from "@waygate/plugin-sdk";
import { z } from "zod";
import { createGateway, createLogger } from "../dist/index.js";

const spawnedAt = Number(process.env.BENCH_SPAWNED_AT ?? Date.now());
const upstreamCount = Number(process.env.BENCH_UPSTREAMS ?? "1");
const secretKey = "bench-secret-key-0123456789abcdef-0123456789";
const everything = createRequire(import.meta.url).resolve(
  "@modelcontextprotocol/server-everything/dist/index.js",
);

const dir = mkdtempSync(join(tmpdir(), "waygate-bench-"));
// BENCH_SYNC picks core's commit durability (FULL or NORMAL); core keeps it on every connection.
const synchronous = (process.env.BENCH_SYNC ?? "NORMAL").toLowerCase();
const db = await openDatabase({ url: `file:${join(dir, "bench.db")}`, synchronous });

const repos = createRepositories(db, { secretKey });
const { plaintext: key } = await repos.apiKeys.create({
  name: "bench",
  scopes: ["tools:list", "tools:call", "admin", "metrics:read"],
});

const echo = definePlugin({
  name: "local",
  version: "1.0.0",
  tools: {
    echo: tool({
      description: "Echoes",
      input: { message: z.string() },
      handler: ({ message }) => `Echo: ${message}`,
    }),
  },
});

const upstreams = {};
for (let i = 0; i < upstreamCount; i++) {
  upstreams[i === 0 ? "everything" : `everything${i + 1}`] = {
    command: process.execPath,
    args: [everything, "stdio"],
  };
}

const started = performance.now();
const gateway = await createGateway({
  database: db,
  secretKey,
  logger: createLogger({ silent: true }),
  plugins: [echo],
  upstreams,
  // A high limit keeps the limiter in the path without refusing benchmark traffic.
  rateLimit: { limit: 10_000_000 },
  ...(process.env.BENCH_RESPONSE_MODE ? { mcpResponseMode: process.env.BENCH_RESPONSE_MODE } : {}),
  // The scale rows open more sessions than the defaults allow one key.
  ...(process.env.BENCH_MAX_SESSIONS
    ? {
        mcpMaxSessions: Number(process.env.BENCH_MAX_SESSIONS),
        mcpMaxSessionsPerKey: Number(process.env.BENCH_MAX_SESSIONS),
      }
    : {}),
});
const { url } = await gateway.listen({ port: 0 });
await gateway.ready();
const readyMs = performance.now() - started;
process.stdout.write(`${JSON.stringify({ url, key, readyMs, sinceSpawnMs: Date.now() - spawnedAt })}\n`);

const stop = async () => {
  await gateway.close({ deadlineMs: 2000 });
  db.close();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
