import { type BridgeSetup, type Env, GuardedBridge } from "@waygate/plugin-sdk/bridge";
import { z } from "zod";
import { version as BRIDGE_VERSION } from "../package.json";
import { bigqueryPolicy } from "./bigquery-policy.js";
import {
  type BigqueryBridgeSettings,
  type BigqueryBridgeSettingsInput,
  resolveBigquerySettings,
} from "./settings.js";
import { resolveToolboxLauncher, TOOLBOX_BIGQUERY_ARGS } from "./toolbox-command.js";

/** Options of the BigQuery bridge plugin. */
export interface BigqueryBridgeOptions {
  /** Validated settings; when absent, settings are read at start from `env` and the host's plugin config. */
  settings?: BigqueryBridgeSettings;
  /** Environment read at start when `settings` is absent; `process.env` by default. */
  env?: Env;
  /** Prefix of the bridged tools (`<namespace>__<tool>`); "bigquery" by default. */
  namespace?: string;
}

const BigqueryPluginConfigSchema = z.record(z.string(), z.unknown());

/** The environment the Toolbox's prebuilt BigQuery configuration reads. */
export function toolboxEnv(settings: BigqueryBridgeSettings): Record<string, string> {
  const env: Record<string, string> = {
    BIGQUERY_PROJECT: settings.project,
    BIGQUERY_MAXIMUM_BYTES_BILLED: String(settings.maximumBytesBilled),
    BIGQUERY_MAX_QUERY_RESULT_ROWS: String(settings.maxRows),
  };
  if (settings.credentialsFile) env.GOOGLE_APPLICATION_CREDENTIALS = settings.credentialsFile;
  if (settings.location) env.BIGQUERY_LOCATION = settings.location;
  // The Toolbox blocks writes itself too; the gateway's SQL check is the first line, this the second.
  if (settings.readOnly) env.BIGQUERY_WRITE_MODE = "blocked";
  return env;
}

function upstreamFor(settings: BigqueryBridgeSettings): BridgeSetup["upstream"] {
  const [command, ...args] = settings.command ?? [
    process.execPath,
    resolveToolboxLauncher(),
    ...TOOLBOX_BIGQUERY_ARGS,
  ];
  return {
    version: BRIDGE_VERSION,
    transport: { type: "stdio", command: command ?? "", args, env: toolboxEnv(settings) },
    timeouts: { connectMs: settings.connectTimeoutMs, callMs: settings.callTimeoutMs },
  };
}

function summaryOf(settings: BigqueryBridgeSettings): Record<string, unknown> {
  return {
    transport: "stdio",
    server: settings.command ? settings.command[0] : "@toolbox-sdk/server (prebuilt bigquery)",
    project: settings.project,
    dataset: settings.dataset ?? null,
    readOnly: settings.readOnly,
    maximumBytesBilled: settings.maximumBytesBilled,
    maxRows: settings.maxRows,
  };
}

/**
 * Waygate bridge to a BigQuery MCP server (Google's MCP Toolbox by default): read-only by default, with SQL
 * parsed at the gateway and writes denied there, plus bytes-billed and row limits passed to the server.
 */
export class BigqueryBridge extends GuardedBridge<Record<string, unknown>> {
  override readonly configSchema = BigqueryPluginConfigSchema;
  readonly #options: BigqueryBridgeOptions;

  constructor(options: BigqueryBridgeOptions = {}) {
    super({
      name: options.namespace ?? "bigquery",
      version: BRIDGE_VERSION,
      description: "BigQuery MCP server behind Waygate (read-only SQL checked at the gateway)",
    });
    this.#options = options;
  }

  protected setup(config: Record<string, unknown>): BridgeSetup {
    const settings =
      this.#options.settings ??
      resolveBigquerySettings(
        config as Partial<BigqueryBridgeSettingsInput>,
        this.#options.env ?? process.env,
      );
    return {
      upstream: upstreamFor(settings),
      policy: bigqueryPolicy(settings),
      summary: summaryOf(settings),
    };
  }
}

/** Builds the BigQuery bridge from explicit settings; throws a BridgeConfigError naming what to fix. */
export function createBigqueryBridge(
  settings: BigqueryBridgeSettingsInput,
  options: { namespace?: string; env?: Env } = {},
): BigqueryBridge {
  return new BigqueryBridge({
    namespace: options.namespace,
    settings: resolveBigquerySettings(settings, options.env),
  });
}

/** Builds the BigQuery bridge from environment variables (GOOGLE_CLOUD_PROJECT, BIGQUERY_DATASET, ...). */
export function bigqueryBridgeFromEnv(
  env: Env = process.env,
  options: { namespace?: string } = {},
): BigqueryBridge {
  return new BigqueryBridge({ ...options, settings: resolveBigquerySettings({}, env) });
}
