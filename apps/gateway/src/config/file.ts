import { EgressSettingsSchema } from "@waygate/core/egress";
import { KeyPolicySchema } from "@waygate/core/key-policy";
import { StdioAllowlistEntrySchema } from "@waygate/core/stdio-allowlist";
import { OAuthOptionsSchema, UpstreamOAuthSchema } from "@waygate/server/oauth-options";
import { z } from "zod";
import { ServerEntrySchema, ServerNameSchema } from "./server-entry.js";

const serversRecord = z.record(ServerNameSchema, ServerEntrySchema);

/** A plugin to load: an npm package name (or a path), with options passed to the plugin. */
export const PluginEntrySchema = z.union([
  z.string().min(1),
  z.strictObject({
    package: z.string().min(1).describe("npm package name or path of the plugin module"),
    options: z.record(z.string(), z.unknown()).default({}).describe("options passed to the plugin"),
    enabled: z.boolean().default(true),
  }),
]);

/** Settings of the gateway itself; the environment overrides each one. */
export const GatewaySettingsSchema = z.strictObject({
  host: z.string().min(1).optional().describe("address to listen on (`WAYGATE_HOST`)"),
  port: z.number().int().min(0).max(65535).optional().describe("port to listen on (`WAYGATE_PORT`)"),
  auth: z.enum(["required", "none"]).optional().describe("`required` or `none` (`WAYGATE_AUTH`)"),
  corsOrigins: z.array(z.string().min(1)).optional().describe("browser origins allowed (`CORS_ORIGINS`)"),
  logLevel: z.enum(["error", "warn", "info", "http", "debug"]).optional().describe("`LOG_LEVEL`"),
  databaseUrl: z.string().min(1).optional().describe("libSQL URL (`DATABASE_URL`)"),
  databaseAuthToken: z.string().min(1).optional().describe("`DATABASE_AUTH_TOKEN`; use `${env:NAME}`"),
  allowedHosts: z
    .array(z.string().min(1))
    .optional()
    .describe("extra Host header names accepted (e.g. the name a proxy forwards)"),
  metrics: z
    .enum(["protected", "open"])
    .optional()
    .describe("`protected` (default): /metrics needs the metrics:read scope; `open`: no key needed"),
  rateLimit: z
    .strictObject({
      windowMs: z.number().int().positive().optional(),
      limit: z.number().int().positive().optional(),
    })
    .optional()
    .describe("requests per window for keys without their own limit (default 600 per 60000 ms)"),
  maxAggregationDepth: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe(
      "refuse an upstream that is a Waygate already aggregating at this depth or deeper (default 2); this gateway itself is always refused",
    ),
  authFailures: z
    .strictObject({
      windowMs: z.number().int().positive().optional(),
      limit: z.number().int().positive().optional(),
    })
    .optional()
    .describe(
      "failed authentications allowed per client address and window; past it the address gets 429 before any key lookup (default 100 per 60000 ms)",
    ),
  mcpSessionMode: z
    .enum(["stateful", "stateless"])
    .optional()
    .describe("`stateful` (default) or `stateless` (`MCP_SESSION_MODE`)"),
  mcpMaxSessions: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("most MCP sessions open at once (default 1000); further opens get 503"),
  mcpMaxSessionsPerKey: z
    .number()
    .int()
    .positive()
    .optional()
    .describe(
      "most MCP sessions one key holds at once (default 50); at the cap its least recently used idle session is closed",
    ),
  mcpResponseMode: z
    .enum(["auto", "sse", "json"])
    .optional()
    .describe("how `/mcp` answers POSTs: `auto` (default), `sse` or `json` (`MCP_RESPONSE_MODE`)"),
  timeouts: z
    .strictObject({
      toolCallMs: z.number().int().positive().optional(),
      requestMs: z.number().int().positive().optional(),
      headersMs: z.number().int().positive().optional(),
      keepAliveMs: z.number().int().positive().optional(),
      shutdownMs: z.number().int().positive().optional(),
      sessionIdleMs: z.number().int().positive().optional(),
      sseKeepAliveMs: z.number().int().positive().optional(),
      statusPollMs: z.number().int().positive().optional(),
      serverSyncMs: z.number().int().positive().optional(),
      adminStreamMs: z.number().int().positive().optional(),
    })
    .optional()
    .describe("named timeouts in milliseconds (tool call 60000, shutdown drain 10000, …)"),
  metricsHistory: z
    .strictObject({
      intervalMs: z.number().int().min(0).optional(),
      retainDays: z.number().int().min(1).max(3650).optional(),
      downsampleAfterHours: z.number().int().min(1).optional(),
    })
    .optional()
    .describe(
      "roll-ups written to the `metrics` table (`waygate metrics history`): every `intervalMs` (default 60000; 0 turns " +
        "them off), kept `retainDays` (14), merged into hourly rows after `downsampleAfterHours` (48)",
    ),
  pinning: z
    .strictObject({
      mode: z
        .enum(["strict", "warn", "off"])
        .optional()
        .describe(
          "`warn` (default) serves a new or changed definition flagged; `strict` hides it until approved",
        ),
      servers: z
        .record(ServerNameSchema, z.enum(["strict", "warn", "off"]))
        .optional()
        .describe('the mode per server, e.g. { "github": "strict" }'),
    })
    .optional()
    .describe("definition pinning of tools, prompts and resource templates (`waygate pins`)"),
  audit: z
    .strictObject({
      retainDays: z
        .number()
        .positive()
        .optional()
        .describe("delete audit rows older than this many days, behind a chain anchor (default: keep all)"),
      pruneEveryMs: z
        .number()
        .int()
        .positive()
        .optional()
        .describe("how often retention runs (default 3600000)"),
    })
    .optional()
    .describe("the audit trail (`command_history`)"),
  console: z
    .strictObject({
      enabled: z
        .boolean()
        .optional()
        .describe("serve the web console at /console (default: on, except with WAYGATE_ENV=production)"),
      sessionTtlMs: z
        .number()
        .int()
        .min(60_000)
        .max(12 * 3_600_000)
        .optional()
        .describe("how long a console sign-in lasts (default 3600000, at most 12 h)"),
      sessionSecret: z
        .string()
        .min(32)
        .optional()
        .describe(
          "signs console session cookies; give replicas the same one (`${env:NAME}`); default: random per process",
        ),
      secureCookie: z
        .enum(["auto", "always", "never"])
        .optional()
        .describe(
          "`auto` (default): the cookie is Secure when the request came over TLS or X-Forwarded-Proto: https",
        ),
      oauthClientId: z
        .string()
        .min(1)
        .optional()
        .describe(
          "with an external `oauth.issuer`: the console's client id there (a public client with the redirect URI `<publicUrl>/console/api/oauth/callback`); the built-in issuer needs none",
        ),
    })
    .optional()
    .describe("the operators' web console (sign in with an admin key)"),
  oauth: OAuthOptionsSchema.optional().describe(
    "accept OAuth 2.1 access tokens beside API keys, from an external issuer or Waygate's built-in authorization server (off unless set; see “OAuth”)",
  ),
  upstreamOAuth: z
    .record(ServerNameSchema, UpstreamOAuthSchema)
    .optional()
    .describe(
      "by server name: how Waygate gets OAuth tokens for a remote upstream that requires them (see “Upstream OAuth”)",
    ),
});

/**
 * The optional config file named by `WAYGATE_CONFIG`: JSON holding `mcpServers` in the Claude Desktop
 * shape (VS Code's `servers` is accepted too), plugins, key policy and gateway settings. Any string may be
 * a reference `${env:NAME}` to an environment variable. Unknown top-level keys are ignored so that a
 * client's own config file can be used unchanged.
 */
export const ConfigFileSchema = z.object({
  gateway: GatewaySettingsSchema.optional().describe("settings of the gateway; the environment wins"),
  mcpServers: serversRecord
    .optional()
    .describe("upstream MCP servers, as Claude Desktop and Cursor write them"),
  servers: serversRecord.optional().describe("upstream MCP servers, as VS Code writes them"),
  plugins: z.array(PluginEntrySchema).default([]).describe("plugins to load, by package name"),
  keyPolicy: KeyPolicySchema.optional().describe("defaults and limits for new API keys"),
  stdioAllowlist: z
    .array(StdioAllowlistEntrySchema)
    .default([])
    .describe(
      "stdio servers the HTTP admin API may register (none by default); each entry fixes command, args, cwd and env, and a request must match it",
    ),
  egress: EgressSettingsSchema.optional().describe(
    'what http/sse upstreams may reach: loopback, private, link-local, CGNAT, multicast and unspecified addresses are refused unless `allow` lists their network, e.g. { "allow": ["10.0.0.0/8"] }',
  ),
});

/** The `gateway` section after validation. */
export type GatewaySettings = z.output<typeof GatewaySettingsSchema>;
/** The config file after validation. */
export type ConfigFile = z.output<typeof ConfigFileSchema>;
/** A plugin entry after validation. */
export type PluginEntry = z.output<typeof PluginEntrySchema>;
// One key policy for the CLI and the admin API, defined in core.
export { type KeyPolicy, KeyPolicySchema } from "@waygate/core/key-policy";
