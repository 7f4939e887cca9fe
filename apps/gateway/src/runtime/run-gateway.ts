import {
  createGateway,
  createLogger,
  type Gateway,
  LOG_LEVELS,
  parseGatewayOptions,
  type RoundRelay,
  type SharedRateLimitStore,
} from "@waygate/server";
import winston from "winston";
import type { CommandContext } from "../cli/context.js";
import type { GatewayConfig } from "../config/load.js";
import { CliError } from "../errors.js";
import { VERSION } from "../version.js";
import { connectHints } from "./connect-hints.js";
import { type PreparedGateway, prepareGateway, settingsOptions } from "./prepare.js";
import { createRateLimitStore, rateLimitStoreLine } from "./rate-limit-store.js";
import { createRoundRelay, roundRelayLine } from "./round-relay.js";
import { relayStdio } from "./stdio-relay.js";
import { DEFAULT_STDIO_READY_TIMEOUT_MS, upstreamsSettled } from "./upstreams-ready.js";
import { type ConfigApplied, type ConfigWatcher, watchConfigFile } from "./watch-config.js";

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

/** Creates the gateway with the app's logger and, with REDIS_URL, the shared rate-limit store and round relay. */
async function createPrepared(
  prepared: PreparedGateway,
  config: GatewayConfig,
  logger: winston.Logger = createLogger({ level: config.logLevel }),
): Promise<Gateway> {
  let rateLimitStore: SharedRateLimitStore | undefined;
  let roundRelay: RoundRelay | undefined;
  try {
    rateLimitStore = await createRateLimitStore(config, logger);
    roundRelay = await createRoundRelay(config, prepared.options.secretKey, logger);
    return await createGateway({
      ...prepared.options,
      logger,
      ...(rateLimitStore ? { rateLimitStore } : {}),
      ...(roundRelay ? { roundRelay } : {}),
    });
  } catch (error) {
    // The gateway closes the store and relay once it exists; before that, they are ours to close.
    await rateLimitStore?.shutdown();
    await roundRelay?.close();
    prepared.db.close();
    throw error;
  }
}

/** Prints progress while plugins and upstreams start, then one line per server with its state. */
function reportUpstreams(gateway: Gateway, names: string[], context: CommandContext, auto: boolean) {
  if (names.length === 0 || !auto) return;
  const started = performance.now();
  context.output.progress(`starting ${names.length} plugin(s) and upstream(s): ${names.join(", ")}…`);
  void gateway
    .ready()
    .then(async () => {
      const ms = Math.round(performance.now() - started);
      const health = await gateway.health();
      const lines = health.servers.map(
        (server) =>
          `  ${server.name}: ${server.state}${server.lastError?.message ? ` (${server.lastError.message})` : ""}`,
      );
      if (!health.rateLimit.ok) {
        lines.push(
          `warning: the rate-limit store is unreachable (${health.rateLimit.error ?? "no answer"}); ` +
            (health.rateLimit.failMode === "closed"
              ? "limited requests are refused with 503 until it answers"
              : "requests are served WITHOUT rate limits until it answers"),
        );
      }
      context.output.progress([`upstreams started in ${ms} ms:`, ...lines].join("\n"));
    })
    .catch((error: unknown) =>
      context.output.progress(`could not read upstream states: ${(error as Error).message}`),
    );
}

/**
 * Applies a changed, valid configuration to the running gateway: its servers, plugins and settings, each as a diff.
 * New plugins are imported and the settings validated first, so a plugin that fails to import or a setting the server
 * refuses stops the change before anything is applied.
 */
async function applyConfig(
  gateway: Gateway,
  prepared: PreparedGateway,
  next: GatewayConfig,
): Promise<ConfigApplied> {
  const loaded = await prepared.selectPlugins(next);
  if (loaded.failures.length > 0) {
    throw new CliError(
      "config_invalid",
      loaded.failures
        .map((failure) => `plugin ${failure.source} failed to import: ${failure.error}`)
        .join("\n"),
    );
  }
  const settingsChange = settingsOptions(next);
  parseGatewayOptions({ ...prepared.options, ...settingsChange });
  const servers = await gateway.applyUpstreams(prepared.selectUpstreams(next), "config file");
  const plugins = await gateway.applyPlugins(loaded.plugins, loaded.disabled, "config file");
  const settings = await gateway.applySettings(settingsChange, "config file");
  return { servers, plugins, settings };
}

async function shutDown(gateway: Gateway, prepared: PreparedGateway, context: CommandContext): Promise<void> {
  context.output.progress("stopping: draining in-flight calls and flushing the audit…");
  const { drained } = await gateway.close();
  prepared.db.close();
  context.output.progress(drained ? "stopped" : "stopped (some calls did not finish before the deadline)");
}

/** `waygate start`: creates the gateway, listens, and on SIGINT/SIGTERM drains, flushes and returns. */
export async function runHttpGateway(config: GatewayConfig, context: CommandContext): Promise<void> {
  const stopSignal = context.io.stopSignal;
  const prepared = await prepareGateway(config, context);
  const gateway = await createPrepared(prepared, config);
  context.output.progress(rateLimitStoreLine(config));
  context.output.progress(roundRelayLine(config));
  let watcher: ConfigWatcher | undefined;
  try {
    const address = await gateway.listen();
    context.output.progress(
      `waygate ${VERSION} listening on ${address.url} (env ${config.env}, auth ${config.auth}) — MCP endpoint ${address.url}/mcp` +
        (prepared.options.console ? `, console ${address.url}/console/` : ""),
    );
    if (config.env === "development") context.output.progress(connectHints(address.url, config.auth));
    reportUpstreams(gateway, prepared.upstreamNames, context, config.autoInitialize);
    if (config.configPath !== undefined) {
      watcher = watchConfigFile({
        path: config.configPath,
        current: config,
        reload: () => context.loadConfig(),
        apply: (next) => applyConfig(gateway, prepared, next),
        report: (line) => context.output.progress(line),
      });
      context.output.progress(`watching ${config.configPath}: a valid change is applied while running`);
    }
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
  watcher?.close();
  await watcher?.idle();
  await shutDown(gateway, prepared, context);
}

/**
 * `waygate stdio`: runs the gateway on a private loopback port and relays MCP between stdin/stdout and it,
 * so a client that launches a local process gets the same auth, limits and audit as HTTP clients.
 */
export async function runStdioGateway(
  config: GatewayConfig,
  context: CommandContext,
  readyTimeoutMs: number = DEFAULT_STDIO_READY_TIMEOUT_MS,
): Promise<void> {
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
  const gateway = await createPrepared(prepared, config, stderrLogger(config.logLevel));
  const address = await gateway.listen({ host: "127.0.0.1", port: 0 }).catch(async (error: unknown) => {
    await gateway.close();
    prepared.db.close();
    throw error;
  });
  // stdin is read only once the relay starts, so the client's `initialize` waits (in the pipe) for the upstreams.
  if (!(await upstreamsSettled(gateway, readyTimeoutMs, stopSignal)) && !stopSignal.aborted) {
    const pending = (await gateway.health()).servers.filter((server) => server.state !== "ready");
    context.output.progress(
      `upstreams not settled after ${readyTimeoutMs} ms (${pending.map((server) => `${server.name}: ${server.state}`).join(", ")}); ` +
        "answering initialize with the tools ready so far, the rest follow by list_changed (raise --ready-timeout to wait longer)",
    );
  }
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
