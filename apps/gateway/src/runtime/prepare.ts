import { consoleAssetsDir } from "@waygate/console";
import { createRepositories, entryOfDeclaration, openDatabase, type WaygateDatabase } from "@waygate/core";
import type { GatewayOptionsInput } from "@waygate/server";
import type { CommandContext } from "../cli/context.js";
import type { GatewayConfig } from "../config/load.js";
import { ConfigError } from "../errors.js";
import { VERSION } from "../version.js";
import { isKnownBridge, KNOWN_BRIDGES, pluginEntriesFor } from "./bridges.js";
import { resolveSecretKey } from "./dev-secret.js";
import { exampleConfiguration, wantsExamples } from "./example-config.js";
import { ensureFirstKey, firstKeyBanner } from "./first-run.js";
import {
  type DisabledPluginEntry,
  type LoadedPlugin,
  loadPlugins,
  type PluginImportFailure,
  pluginMemory,
} from "./load-plugins.js";
import { type ClientShapedEntry, runtimeUpstreams } from "./select-upstreams.js";

/** Everything needed to create the gateway, and the database to close after it. */
export interface PreparedGateway {
  options: GatewayOptionsInput;
  db: WaygateDatabase;
  /** Plugins and upstreams that start in the background, for progress output. */
  upstreamNames: string[];
  /** The `upstreams` option a (re-read) configuration gives, selected as at start: for applying a changed file. */
  selectUpstreams(config: GatewayConfig): Record<string, ClientShapedEntry>;
  /**
   * The plugins a (re-read) configuration gives: those loaded before are reused with their new options, new ones are
   * imported. Throws a ConfigError for a plugin that is not installed or exports none.
   */
  selectPlugins(
    config: GatewayConfig,
  ): Promise<{ plugins: LoadedPlugin[]; failures: PluginImportFailure[]; disabled: DisabledPluginEntry[] }>;
}

/** The gateway options the config file's settings give (everything but the database, plugins and upstreams). */
export function settingsOptions(config: GatewayConfig) {
  return {
    env: config.env,
    auth: config.auth,
    host: config.host,
    port: config.port,
    corsOrigins: config.corsOrigins,
    logLevel: config.logLevel,
    stdioAllowlist: config.stdioAllowlist,
    egress: { allow: config.egressAllow },
    keyPolicy: config.keyPolicy,
    mcpSessionMode: config.mcpSessionMode,
    mcpResponseMode: config.mcpResponseMode,
    ...config.server,
    ...consoleOption(config),
  } satisfies Partial<GatewayOptionsInput>;
}

/** Opens and migrates the database, applies first-run rules, loads plugins and selects upstreams. */
export async function prepareGateway(
  config: GatewayConfig,
  context: CommandContext,
): Promise<PreparedGateway> {
  const { cwd } = context.io;
  for (const warning of config.warnings)
    context.output.progress(
      `warning: ${config.configPath ?? "config file"}: ${warning.path} ${warning.message}`,
    );
  const secret = await resolveSecretKey(config, cwd);
  if (secret.source === "generated-file") {
    context.output.progress(
      `development: generated a secret key in ${secret.path} (set WAYGATE_SECRET_KEY in production)`,
    );
  }
  const db = await openDatabase({
    url: config.database.url,
    ...(config.database.authToken === undefined ? {} : { authToken: config.database.authToken }),
    ...(config.database.synchronous === undefined ? {} : { synchronous: config.database.synchronous }),
  });
  try {
    const repos = createRepositories(db, { secretKey: secret.secretKey });

    // Only names matter here: the server resolves each stored server's ${env:NAME} references itself, on every
    // replica from its own environment, and keeps them in step with the table (serverSyncMs).
    const stored = (await repos.mcpServers.list()).map((record) => record.config);
    const examples = wantsExamples(config, stored.length) ? exampleConfiguration() : undefined;
    if (examples) {
      context.output.progress(
        [
          "no config file and no stored server: serving the example configuration (WAYGATE_EXAMPLES=false turns it off;",
          "add your own servers with `waygate servers add` or a config file in WAYGATE_CONFIG):",
          ...examples.described.map((line) => `  ${line}`),
        ].join("\n"),
      );
    }
    const effective = examples
      ? { ...config, upstreams: [examples.upstream], plugins: examples.plugins }
      : config;
    const { selected, unknownNames } = runtimeUpstreams(effective, stored);
    const bridges = unknownNames.filter(isKnownBridge);
    const unknown = unknownNames.filter((name) => !isKnownBridge(name));
    if (unknown.length > 0) {
      throw new ConfigError(
        unknown.map((name) => ({
          path: "MCP_SERVERS_ENABLED",
          message: `names "${name}", which is neither a configured server nor a bridge (${KNOWN_BRIDGES.join(", ")})`,
          fix: `add "${name}" with \`waygate servers add\` or under mcpServers in the config file, or remove it from MCP_SERVERS_ENABLED`,
        })),
      );
    }
    const memory = pluginMemory();
    const { plugins, failures, disabled } = await loadPlugins(
      pluginEntriesFor(effective.plugins, bridges),
      cwd,
      context.io.env,
      memory,
    );
    for (const failure of failures) {
      context.output.progress(
        `warning: plugin ${failure.source} failed to import (${failure.error}); starting without it. ` +
          `Fix it, then POST /plugins/${failure.name}/reload or restart.`,
      );
    }
    // Only once the configuration proved loadable: a refused start must not have printed a key it then loses sight of.
    const firstKey = await ensureFirstKey(config, repos.apiKeys);
    if (firstKey) context.io.stderr.write(`${firstKeyBanner(firstKey)}\n`);
    // The config file's servers are passed in; the stored ones the server loads (and syncs) itself, narrowed to
    // MCP_SERVERS_ENABLED when it is set.
    const upstreams = selected.filter((server) => effective.upstreams.includes(server));
    const selectUpstreams = (next: GatewayConfig) => {
      const chosen = runtimeUpstreams(next, []).selected;
      return Object.fromEntries(chosen.map((server) => [server.name, entryOfDeclaration(server)]));
    };
    return {
      db,
      selectUpstreams,
      selectPlugins: (next) =>
        loadPlugins(pluginEntriesFor(next.plugins, bridges), cwd, context.io.env, memory),
      upstreamNames: [
        ...plugins.map(
          (loaded) => (loaded.plugin as { metadata?: { name?: string } }).metadata?.name ?? "plugin",
        ),
        ...selected.map((server) => server.name),
      ],
      options: {
        database: db,
        secretKey: secret.secretKey,
        ...settingsOptions(config),
        plugins,
        pluginFailures: failures,
        pluginsDisabled: disabled,
        upstreams: Object.fromEntries(upstreams.map((server) => [server.name, entryOfDeclaration(server)])),
        loadStoredServers: true,
        ...(config.serversEnabled === undefined ? {} : { storedServersSelected: config.serversEnabled }),
        referenceEnv: context.io.env,
        serverInfo: { name: "waygate", version: VERSION },
        // Each replica's name in the plugin registry and on metric roll-ups (default: host name and process id).
        ...(config.instanceId ? { instanceId: config.instanceId } : {}),
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** The server's `console` option from `gateway.console`: the built console of `@waygate/console`, when enabled. */
function consoleOption(config: GatewayConfig): Pick<GatewayOptionsInput, "console"> {
  const { enabled, ...session } = config.console;
  return enabled ? { console: { assetsDir: consoleAssetsDir, ...session } } : {};
}
