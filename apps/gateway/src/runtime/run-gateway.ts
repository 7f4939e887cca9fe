import { createGateway, createLogger, type Gateway, LOG_LEVELS } from "@waygate/server";
import winston from "winston";
import type { CommandContext } from "../cli/context.js";
import type { GatewayConfig } from "../config/load.js";
import { CliError } from "../errors.js";
import { VERSION } from "../version.js";
import { type PreparedGateway, prepareGateway } from "./prepare.js";
import { relayStdio } from "./stdio-relay.js";

/** Resolves when `signal` aborts. */
function stopped(signal: AbortSignal): Promise<void> {
  return signal.aborted
    ? Promise.resolve()
    : new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

/** A server log that writes every line to stderr, so that stdout stays free for the MCP stdio channel. */
function stderrLogger(level: GatewayConfig["logLevel"]): winston.Logger {
  const logger = createLogger({ level });
  logger.clear();
  logger.add(new winston.transports.Console({ stderrLevels: [...LOG_LEVELS] }));
  return logger;
}

async function createPrepared(prepared: PreparedGateway, logger?: winston.Logger): Promise<Gateway> {
  try {
    return await createGateway({ ...prepared.options, ...(logger ? { logger } : {}) });
  } catch (error) {
    prepared.db.close();
    throw error;
  }
}

interface ServerHealth {
  name: string;
  state: string;
  lastError?: { message?: string };
}

/** Prints progress while plugins and upstreams start, then one line per server with its state. */
function reportUpstreams(
  gateway: Gateway,
  baseUrl: string,
  names: string[],
  context: CommandContext,
  auto: boolean,
) {
  if (names.length === 0 || !auto) return;
  const started = performance.now();
  context.output.progress(`starting ${names.length} plugin(s) and upstream(s): ${names.join(", ")}…`);
  void gateway
    .ready()
    .then(async () => {
      const ms = Math.round(performance.now() - started);
      const health = (await (await fetch(`${baseUrl}/health`)).json()) as { servers?: ServerHealth[] };
      const lines = (health.servers ?? []).map(
        (server) =>
          `  ${server.name}: ${server.state}${server.lastError?.message ? ` (${server.lastError.message})` : ""}`,
      );
      context.output.progress([`upstreams started in ${ms} ms:`, ...lines].join("\n"));
    })
    .catch((error: unknown) =>
      context.output.progress(`could not read upstream states: ${(error as Error).message}`),
    );
}

async function shutDown(gateway: Gateway, prepared: PreparedGateway, context: CommandContext): Promise<void> {
  context.output.progress("stopping: draining in-flight calls and flushing the audit…");
  const { drained } = await gateway.close();
  prepared.db.close();
  context.output.progress(drained ? "stopped" : "stopped (some calls did not finish before the deadline)");
}

/** The warning shown while `REDIS_URL` is accepted but rate-limit counters still live in each process. */
export const REDIS_NOT_WIRED =
  "REDIS_URL is set, but this version keeps rate-limit counters in memory: each replica limits on its own";

/** `waygate start`: creates the gateway, listens, and on SIGINT/SIGTERM drains, flushes and returns. */
export async function runHttpGateway(config: GatewayConfig, context: CommandContext): Promise<void> {
  const stopSignal = context.io.stopSignal;
  if (config.redisUrl !== undefined) context.output.progress(`warning: ${REDIS_NOT_WIRED}`);
  const prepared = await prepareGateway(config, context);
  const gateway = await createPrepared(prepared);
  try {
    const address = await gateway.listen();
    context.output.progress(
      `waygate ${VERSION} listening on ${address.url} (env ${config.env}, auth ${config.auth}) — MCP endpoint ${address.url}/mcp`,
    );
    const local = `http://${address.host.includes(":") ? `[${address.host}]` : address.host}:${address.port}`;
    reportUpstreams(gateway, local, prepared.upstreamNames, context, config.autoInitialize);
  } catch (error) {
    await gateway.close();
    prepared.db.close();
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new CliError(
      "failed",
      `cannot listen on ${config.host}:${config.port} (${code}): ` +
        (code === "EADDRINUSE"
          ? "another process uses the port; set WAYGATE_PORT to a free one"
          : "check WAYGATE_HOST"),
      { cause: error },
    );
  }
  await stopped(stopSignal);
  await shutDown(gateway, prepared, context);
}

/**
 * `waygate stdio`: runs the gateway on a private loopback port and relays MCP between stdin/stdout and it,
 * so a client that launches a local process gets the same auth, limits and audit as HTTP clients.
 */
export async function runStdioGateway(config: GatewayConfig, context: CommandContext): Promise<void> {
  const apiKey = context.io.env.WAYGATE_API_KEY;
  if (config.auth === "required" && !apiKey) {
    throw new CliError(
      "config_invalid",
      "waygate stdio needs an API key: set WAYGATE_API_KEY (create one with `waygate keys create`), " +
        "or WAYGATE_AUTH=none for local development",
    );
  }
  const stopSignal = context.io.stopSignal;
  const local = { ...config, host: "127.0.0.1", port: 0 };
  const prepared = await prepareGateway(local, context);
  const gateway = await createPrepared(prepared, stderrLogger(config.logLevel));
  const address = await gateway.listen({ host: "127.0.0.1", port: 0 }).catch(async (error: unknown) => {
    await gateway.close();
    prepared.db.close();
    throw error;
  });
  const relay = await relayStdio(new URL(`${address.url}/mcp`), apiKey, context);
  await Promise.race([relay.closed, stopped(stopSignal)]);
  await relay.close();
  await shutDown(gateway, prepared, context);
}

/** `waygate stdio --url`: relays stdin/stdout to a gateway running elsewhere, with `WAYGATE_API_KEY`. */
export async function relayToRemote(url: URL, context: CommandContext): Promise<void> {
  const stopSignal = context.io.stopSignal;
  const relay = await relayStdio(url, context.io.env.WAYGATE_API_KEY, context);
  context.output.progress(`relaying MCP between stdio and ${url.href}`);
  await Promise.race([relay.closed, stopped(stopSignal)]);
  await relay.close();
}
