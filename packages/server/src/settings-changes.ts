import type { GatewayOptions } from "./options.js";
import type { RuntimeKey } from "./runtime-settings.js";

/** One changed option a running gateway applied. */
export interface AppliedSetting {
  /** The option's path, e.g. `pinning.mode` or `timeouts.toolCallMs`. */
  option: string;
  /** The runtime setting it feeds (`waygate config list`), when there is one. */
  runtimeKey?: RuntimeKey;
  value: unknown;
  /** True when a value stored in the database (`waygate config set`) wins, so the new value does not apply. */
  overridden: boolean;
}

/** One changed option that takes effect only after a restart, and why. */
export interface RestartSetting {
  option: string;
  reason: string;
}

/** What `applySettings` did with a changed configuration's gateway settings. */
export interface SettingsDiff {
  applied: AppliedSetting[];
  needRestart: RestartSetting[];
}

/** Options applied in place, each with the runtime setting (if any) that carries it. */
export const LIVE_OPTIONS: Readonly<Record<string, RuntimeKey | null>> = {
  "rateLimit.limit": "rateLimit.defaultPerMinute",
  "timeouts.toolCallMs": "upstream.requestTimeoutMs",
  logLevel: "log.level",
  "pinning.mode": "pinning.mode",
  "pinning.servers": null,
  mcpMaxSessions: "mcp.maxSessions",
  mcpMaxSessionsPerKey: "mcp.maxSessionsPerKey",
  "metricsHistory.retainDays": "metrics.retainDays",
  "metricsHistory.downsampleAfterHours": "metrics.downsampleAfterHours",
};

// Why an option needs a restart, by its first path segment (the longest matching prefix wins).
const START_ONLY_REASONS: Readonly<Record<string, string>> = {
  env: "the environment's defaults and checks are chosen at start",
  host: "the listener is bound at start",
  port: "the listener is bound at start",
  auth: "the authentication chain is built at start",
  allowedHosts: "the Host-header check is built at start",
  corsOrigins: "the CORS and Origin checks are built at start",
  bodyLimitBytes: "the body parser is built at start",
  "rateLimit.windowMs": "the rate limiter's window is fixed when it is created",
  authFailures: "the failed-authentication limiter is created at start",
  metrics: "the /metrics route is mounted at start",
  keyPolicy: "the key policy is read when the admin API is built",
  stdioAllowlist: "the stdio allowlist is read when the admin API is built",
  egress: "the egress policy's resolver and allowed networks are built at start",
  timeouts: "the HTTP server, sessions and background loops take their timeouts at start",
  mcpResponseMode: "the MCP front end is built at start",
  mcpSessionMode: "the MCP front end is built at start",
  audit: "audit retention is scheduled at start",
  metricsHistory: "the roll-up loop's interval is set at start",
  maxAggregationDepth: "the self-loop guard is built at start",
  oauth: "the OAuth resource server and authorization server are built at start",
  upstreamOAuth: "upstream OAuth clients are built when their upstream starts",
  console: "the console routes and session secret are set up at start",
  instanceId: "the replica's name in the registry is set at start",
  upstreamEraHorizonMs: "the protocol-era memory is created at start",
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The leaves of an option value by dotted path; arrays and non-plain values are leaves. */
function leaves(value: unknown, path: string, into: Map<string, string>): void {
  if (isPlainObject(value) && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, inner] of Object.entries(value)) leaves(inner, `${path}.${key}`, into);
    return;
  }
  into.set(path, JSON.stringify(value as Json) ?? "undefined");
}

/** The option paths under `keys` whose values differ between two parsed option sets. */
export function changedOptionPaths(
  before: GatewayOptions,
  after: GatewayOptions,
  keys: readonly string[],
): string[] {
  const changed: string[] = [];
  for (const key of keys) {
    const was = new Map<string, string>();
    const now = new Map<string, string>();
    leaves((before as Record<string, unknown>)[key], key, was);
    leaves((after as Record<string, unknown>)[key], key, now);
    for (const path of new Set([...was.keys(), ...now.keys()])) {
      if (was.get(path) !== now.get(path)) changed.push(path);
    }
  }
  return changed;
}

/** The live option a changed path belongs to (`pinning.servers.github` → `pinning.servers`), if any. */
export function liveOptionOf(path: string): string | undefined {
  return Object.keys(LIVE_OPTIONS).find((live) => path === live || path.startsWith(`${live}.`));
}

/** Why a changed option needs a restart. */
export function restartReason(path: string): string {
  const prefixes = Object.keys(START_ONLY_REASONS)
    .filter((prefix) => path === prefix || path.startsWith(`${prefix}.`))
    .sort((a, b) => b.length - a.length);
  return START_ONLY_REASONS[prefixes[0] ?? ""] ?? "it is read at start only";
}
