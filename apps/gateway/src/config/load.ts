import { resolve } from "node:path";
import type { StdioAllowlistEntry } from "@waygate/core/stdio-allowlist";
import { ConfigError, type ConfigIssue } from "../errors.js";
import { type ConfigWarning, normaliseServerEntries } from "./entry-keys.js";
import { ENV_FIXES, EnvSchema, type WaygateEnv } from "./env.js";
import {
  type ConfigFile,
  ConfigFileSchema,
  type GatewaySettings,
  type KeyPolicy,
  KeyPolicySchema,
  type PluginEntry,
} from "./file.js";
import { toConfigIssues } from "./issues.js";
import { readJsonFile } from "./read-json.js";
import { resolveEnvReferences } from "./secret-ref.js";
import { toUpstreamServer, type UpstreamServer } from "./server-entry.js";

/** Defaults used when neither the environment nor the config file sets a value. */
export const DEFAULTS = {
  env: "development",
  databaseUrl: "file:./data/waygate.db",
  host: "127.0.0.1",
  port: 3000,
  auth: "required",
  logLevel: "info",
  autoInitialize: true,
  rateLimitFailMode: "open",
  mcpSessionMode: "stateful",
  mcpResponseMode: "auto",
} as const;

/** The gateway's configuration after merging environment > config file > defaults. */
export interface GatewayConfig {
  env: "development" | "production" | "test";
  database: { url: string; authToken: string | undefined; synchronous: "full" | "normal" | undefined };
  secretKey: string | undefined;
  /** The key that stored upstream secrets before a rotation (`waygate secrets rotate` only). */
  previousSecretKey: string | undefined;
  host: string;
  port: number;
  auth: "required" | "none";
  corsOrigins: string[];
  logLevel: "error" | "warn" | "info" | "http" | "debug";
  redisUrl: string | undefined;
  /** `WAYGATE_INSTANCE_ID`: this replica's name in the plugin registry and on metric roll-ups. */
  instanceId: string | undefined;
  /** While Redis is unreachable: serve without limits (`open`) or refuse with 503 (`closed`). */
  rateLimitFailMode: "open" | "closed";
  /** `stateless`: any replica answers any `/mcp` POST; `stateful`: sessions live in the process that opened them. */
  mcpSessionMode: "stateful" | "stateless";
  /**
   * How `/mcp` answers POSTs: `auto` sends one JSON body for a call with nothing to stream, `sse` streams every
   * POST, `json` sends one JSON body for every POST (losing a call's progress and client requests).
   */
  mcpResponseMode: "auto" | "sse" | "json";
  /** Names selected by `MCP_SERVERS_ENABLED`; `undefined` means every enabled server. */
  serversEnabled: string[] | undefined;
  autoInitialize: boolean;
  /** Whether an empty development configuration starts the example servers (`WAYGATE_EXAMPLES`). */
  examples: boolean;
  /** Upstreams declared in the config file. */
  upstreams: UpstreamServer[];
  plugins: PluginEntry[];
  keyPolicy: KeyPolicy;
  stdioAllowlist: StdioAllowlistEntry[];
  /** Networks (CIDR) http/sse upstreams may reach although they are loopback, private, link-local, … */
  egressAllow: string[];
  /** The web console: on unless disabled (default off in production), with its session settings. */
  console: {
    enabled: boolean;
    sessionTtlMs?: number;
    sessionSecret?: string;
    secureCookie?: "auto" | "always" | "never";
    oauthClientId?: string;
  };
  /** Absolute path of the config file read, if any. */
  configPath: string | undefined;
  /** Keys of the config file's server entries that were ignored, each named, for the start-up output. */
  warnings: ConfigWarning[];
  /** Server settings only the config file sets, passed to createGateway as they are. */
  server: Partial<
    Pick<
      GatewaySettings,
      | "allowedHosts"
      | "metrics"
      | "rateLimit"
      | "authFailures"
      | "maxAggregationDepth"
      | "timeouts"
      | "audit"
      | "pinning"
      | "oauth"
      | "upstreamOAuth"
      | "mcpMaxSessions"
      | "mcpMaxSessionsPerKey"
    >
  >;
}

/** Where loadConfig reads from; both default to the running process. */
export interface LoadConfigOptions {
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  /** A config file path given on the command line; wins over `WAYGATE_CONFIG`. */
  configPath?: string;
}

/** Validates the environment; every bad variable becomes an issue with its name and a fix. */
export function parseEnv(env: Readonly<Record<string, string | undefined>>): WaygateEnv {
  const known = Object.fromEntries(
    Object.keys(EnvSchema.shape).map((name) => [name, env[name] === "" ? undefined : env[name]]),
  );
  const result = EnvSchema.safeParse(known);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const name = String(issue.path[0]) as keyof WaygateEnv;
      return { path: name, message: issue.message, fix: ENV_FIXES[name] };
    }),
    { source: "the environment" },
  );
}

/**
 * Reads, resolves `${env:NAME}` references in, and validates a config file. Other clients' key names in server
 * entries are mapped; keys Waygate does not use are reported to `warnings`, each by its path.
 */
export async function readConfigFile(
  path: string,
  env: Readonly<Record<string, string | undefined>>,
  label = "WAYGATE_CONFIG",
  warnings: ConfigWarning[] = [],
): Promise<ConfigFile> {
  const raw = normaliseServerEntries(await readJsonFile(path, label), warnings);
  const result = ConfigFileSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(toConfigIssues(result.error, ""), { source: path });
  const issues: ConfigIssue[] = [];
  const resolved = resolveEnvReferences(result.data, env, "", issues) as ConfigFile;
  if (issues.length > 0) throw new ConfigError(issues, { source: path });
  return resolved;
}

/** Upstreams of both `mcpServers` and `servers`; a name in both is an issue. */
function collectUpstreams(file: ConfigFile, issues: ConfigIssue[]): UpstreamServer[] {
  const upstreams: UpstreamServer[] = [];
  for (const [name, entry] of Object.entries(file.mcpServers ?? {}))
    upstreams.push(toUpstreamServer(name, entry));
  for (const [name, entry] of Object.entries(file.servers ?? {})) {
    if (file.mcpServers?.[name] !== undefined) {
      issues.push({
        path: `servers.${name}`,
        message: `server "${name}" is declared in both mcpServers and servers`,
        fix: `keep one of mcpServers.${name} and servers.${name}`,
      });
      continue;
    }
    upstreams.push(toUpstreamServer(name, entry));
  }
  return upstreams;
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

/** Rules that involve several settings at once, checked after merging. */
function checkCombination(config: GatewayConfig, issues: ConfigIssue[]): void {
  if (config.env === "production" && config.secretKey === undefined) {
    issues.push({
      path: "WAYGATE_SECRET_KEY",
      message: "is required when WAYGATE_ENV=production",
      fix: "generate one with `openssl rand -hex 32` and set WAYGATE_SECRET_KEY to it",
    });
  }
  if (config.env === "production" && !isLoopback(config.host) && !config.server.allowedHosts?.length) {
    issues.push({
      path: "WAYGATE_ALLOWED_HOSTS",
      message: `is required in production when WAYGATE_HOST is ${config.host}: without it any Host header is accepted (DNS rebinding)`,
      fix: "set WAYGATE_ALLOWED_HOSTS to the host names clients use, e.g. waygate.example.com (or gateway.allowedHosts in the config file)",
    });
  }
  if (config.auth === "none" && config.env === "production") {
    issues.push({
      path: "WAYGATE_AUTH",
      message: "none is refused in production: every caller must present an API key",
      fix: "unset WAYGATE_AUTH (or set it to required) and create a key with `waygate keys create`",
    });
  } else if (config.auth === "none" && !isLoopback(config.host)) {
    issues.push({
      path: "WAYGATE_AUTH",
      message: `none is allowed only on a loopback address, not on ${config.host}`,
      fix: "set WAYGATE_HOST=127.0.0.1, or unset WAYGATE_AUTH and use API keys",
    });
  }
}

/**
 * Loads the gateway's configuration: environment > config file > defaults. Throws one ConfigError that
 * lists every problem (with its variable name or file path and a fix) before anything is started.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<GatewayConfig> {
  const rawEnv = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const env = parseEnv(rawEnv);
  const configPathInput = options.configPath ?? env.WAYGATE_CONFIG;
  const configPath = configPathInput === undefined ? undefined : resolve(cwd, configPathInput);
  const label = options.configPath === undefined ? "WAYGATE_CONFIG" : "--config";
  const warnings: ConfigWarning[] = [];
  const file =
    configPath === undefined
      ? ConfigFileSchema.parse({})
      : await readConfigFile(configPath, rawEnv, label, warnings);
  const settings = file.gateway ?? {};
  const issues: ConfigIssue[] = [];
  const config: GatewayConfig = {
    env: env.WAYGATE_ENV ?? DEFAULTS.env,
    database: {
      url: env.DATABASE_URL ?? settings.databaseUrl ?? DEFAULTS.databaseUrl,
      authToken: env.DATABASE_AUTH_TOKEN ?? settings.databaseAuthToken,
      synchronous: env.DATABASE_SYNCHRONOUS,
    },
    secretKey: env.WAYGATE_SECRET_KEY,
    previousSecretKey: env.WAYGATE_PREVIOUS_SECRET_KEY,
    host: env.WAYGATE_HOST ?? settings.host ?? DEFAULTS.host,
    port: env.WAYGATE_PORT ?? settings.port ?? DEFAULTS.port,
    auth: env.WAYGATE_AUTH ?? settings.auth ?? DEFAULTS.auth,
    corsOrigins: env.CORS_ORIGINS ?? settings.corsOrigins ?? [],
    logLevel: env.LOG_LEVEL ?? settings.logLevel ?? DEFAULTS.logLevel,
    redisUrl: env.REDIS_URL,
    instanceId: env.WAYGATE_INSTANCE_ID,
    rateLimitFailMode: env.WAYGATE_RATE_LIMIT_FAIL_MODE ?? DEFAULTS.rateLimitFailMode,
    mcpSessionMode: env.MCP_SESSION_MODE ?? settings.mcpSessionMode ?? DEFAULTS.mcpSessionMode,
    mcpResponseMode: env.MCP_RESPONSE_MODE ?? settings.mcpResponseMode ?? DEFAULTS.mcpResponseMode,
    serversEnabled: env.MCP_SERVERS_ENABLED,
    autoInitialize: env.MCP_AUTO_INITIALIZE ?? DEFAULTS.autoInitialize,
    examples: env.WAYGATE_EXAMPLES ?? true,
    upstreams: collectUpstreams(file, issues),
    plugins: file.plugins,
    keyPolicy: file.keyPolicy ?? KeyPolicySchema.parse({}),
    stdioAllowlist: file.stdioAllowlist,
    egressAllow: file.egress?.allow ?? [],
    console: {
      ...settings.console,
      enabled: settings.console?.enabled ?? (env.WAYGATE_ENV ?? DEFAULTS.env) !== "production",
    },
    configPath,
    warnings,
    server: {
      ...((env.WAYGATE_ALLOWED_HOSTS ?? settings.allowedHosts)
        ? { allowedHosts: env.WAYGATE_ALLOWED_HOSTS ?? settings.allowedHosts }
        : {}),
      ...(settings.metrics ? { metrics: settings.metrics } : {}),
      ...(settings.rateLimit ? { rateLimit: settings.rateLimit } : {}),
      ...(settings.authFailures ? { authFailures: settings.authFailures } : {}),
      ...(settings.maxAggregationDepth === undefined
        ? {}
        : { maxAggregationDepth: settings.maxAggregationDepth }),
      ...(settings.timeouts ? { timeouts: settings.timeouts } : {}),
      ...(settings.audit ? { audit: settings.audit } : {}),
      ...(settings.pinning ? { pinning: settings.pinning } : {}),
      ...(settings.metricsHistory ? { metricsHistory: settings.metricsHistory } : {}),
      ...(settings.oauth ? { oauth: settings.oauth } : {}),
      ...(settings.upstreamOAuth ? { upstreamOAuth: settings.upstreamOAuth } : {}),
      ...(settings.mcpMaxSessions ? { mcpMaxSessions: settings.mcpMaxSessions } : {}),
      ...(settings.mcpMaxSessionsPerKey ? { mcpMaxSessionsPerKey: settings.mcpMaxSessionsPerKey } : {}),
    },
  };
  checkCombination(config, issues);
  if (issues.length > 0) throw new ConfigError(issues, { source: configPath });
  return config;
}
