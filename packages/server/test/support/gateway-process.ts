// Starts one gateway in its own process from the environment and prints `LISTENING <url>` once it serves.
// Used by the multi-replica test (run with tsx) while the CLI is being reworked; stops cleanly on SIGTERM.
//
// DATABASE_URL (required), WAYGATE_SECRET_KEY (required), REDIS_URL (shared rate limits),
// RATE_LIMIT_FAIL_MODE (open|closed), REDIS_COMMAND_TIMEOUT_MS, MCP_SESSION_MODE (stateful|stateless), MCP_RESPONSE_MODE (sse|json),
// DATABASE_SYNCHRONOUS (full|normal), WAYGATE_PORT (default 0), SERVER_SYNC_MS, STDIO_ALLOWLIST (JSON array).
import { definePlugin, tool } from "@waygate/plugin-sdk";
import { z } from "zod";
import { createGateway, createLogger, type GatewayOptionsInput } from "../../src/index.js";
import { createRedisRateLimitStore } from "../../src/redis/index.js";

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`gateway-process: set ${name}`);
    process.exit(2);
  }
  return value;
}

const logger = createLogger({ level: (process.env.LOG_LEVEL as "info" | undefined) ?? "warn" });
const echo = definePlugin({
  name: "local",
  version: "1.0.0",
  tools: {
    echo: tool({
      description: "Echoes the text back",
      input: { text: z.string() },
      handler: ({ text }) => text,
    }),
  },
});

const env = process.env;
const options: GatewayOptionsInput = {
  databaseUrl: required("DATABASE_URL"),
  secretKey: required("WAYGATE_SECRET_KEY"),
  env: "test",
  logger,
  plugins: [echo],
  collectDefaultMetrics: false,
  ...(env.DATABASE_SYNCHRONOUS ? { databaseSynchronous: env.DATABASE_SYNCHRONOUS as "full" | "normal" } : {}),
  ...(env.MCP_SESSION_MODE ? { mcpSessionMode: env.MCP_SESSION_MODE as "stateful" | "stateless" } : {}),
  ...(env.MCP_RESPONSE_MODE ? { mcpResponseMode: env.MCP_RESPONSE_MODE as "sse" | "json" } : {}),
  ...(env.STDIO_ALLOWLIST
    ? { stdioAllowlist: JSON.parse(env.STDIO_ALLOWLIST) as GatewayOptionsInput["stdioAllowlist"] }
    : {}),
  ...(env.SERVER_SYNC_MS ? { timeouts: { serverSyncMs: Number(env.SERVER_SYNC_MS) } } : {}),
  ...(env.REDIS_URL
    ? {
        rateLimitStore: createRedisRateLimitStore({
          url: env.REDIS_URL,
          failMode: (env.RATE_LIMIT_FAIL_MODE as "open" | "closed" | undefined) ?? "open",
          ...(env.REDIS_COMMAND_TIMEOUT_MS ? { commandTimeoutMs: Number(env.REDIS_COMMAND_TIMEOUT_MS) } : {}),
          logger,
        }),
      }
    : {}),
};

const gateway = await createGateway(options);
const { url } = await gateway.listen({ host: "127.0.0.1", port: Number(env.WAYGATE_PORT ?? 0) });
await gateway.ready();
process.stdout.write(`LISTENING ${url}\n`);

const stop = async () => {
  await gateway.close({ deadlineMs: 2000 });
  process.exit(0);
};
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
