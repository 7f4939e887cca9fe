import { KeyPolicySchema, McpServerNameSchema, StdioAllowlistEntrySchema } from "@waygate/core";
import { CidrSchema, type EgressResolver } from "@waygate/core/egress";
import type { Store } from "express-rate-limit";
import type winston from "winston";
import { z } from "zod";
import { OAuthOptionsSchema } from "./auth/oauth-options.js";
import { GatewayOptionsError } from "./errors/errors.js";
import { LOG_LEVELS } from "./logger.js";
import type { RoundRelay } from "./mcp/round-relay.js";
import { UpstreamOAuthSchema } from "./upstreams/upstream-oauth-options.js";

/** Server names: what appears before `__` in aggregated names and in `/servers/<name>/mcp`; core's one rule. */
export const ServerNameSchema = McpServerNameSchema;

/** Named timeouts, all in milliseconds. */
export const TimeoutsSchema = z.object({
  /** Deadline of one tool call (and any other request forwarded to a plugin or upstream). */
  toolCallMs: z.number().int().positive().default(60_000),
  /** Node's `server.requestTimeout`: a whole request must arrive within this. */
  requestMs: z.number().int().positive().default(120_000),
  /** Node's `server.headersTimeout`: request headers must arrive within this (slow-loris guard). */
  headersMs: z.number().int().positive().default(20_000),
  /** Node's `server.keepAliveTimeout`. */
  keepAliveMs: z.number().int().positive().default(5_000),
  /** Default deadline for `close()` to drain in-flight calls. */
  shutdownMs: z.number().int().positive().default(10_000),
  /** How often servers' states are sampled to record crashes and recoveries as system events. */
  statusPollMs: z.number().int().positive().default(2_000),
  /**
   * How often the `mcp_servers` table's change marker is read, so servers added, enabled, disabled or removed
   * through another replica's admin API start or stop here too (with `loadStoredServers`).
   */
  serverSyncMs: z.number().int().positive().default(1_000),
  /**
   * A streamed MCP answer (and a direct tools/call answer that has been quiet this long) sends an SSE comment at this
   * interval, so proxies with idle timeouts keep the connection open.
   */
  sseKeepAliveMs: z.number().int().positive().default(15_000),
  /**
   * `GET /admin/stream` ends after this long; EventSource reconnects by itself, and the reconnect checks the key or
   * console session again, so a revoked key or signed-out session stops hearing about changes within it.
   */
  adminStreamMs: z
    .number()
    .int()
    .positive()
    .default(5 * 60_000),
  /** Idle MCP sessions are closed after this long without a request. */
  sessionIdleMs: z
    .number()
    .int()
    .positive()
    .default(30 * 60_000),
});

/** The zod schema of `createGateway` options; the options type is inferred from it. */
export const GatewayOptionsSchema = z
  .object({
    /** An already opened (and migrated) core database; the gateway does not close it. */
    database: z.custom<object>((v) => typeof v === "object" && v !== null).optional(),
    /** A libSQL URL (`file:…`, `:memory:`, `libsql://…`); the gateway opens, migrates and closes it. */
    databaseUrl: z.string().min(1).optional(),
    databaseAuthToken: z.string().min(1).optional(),
    /**
     * Commit durability of a local database file the gateway opens (env `DATABASE_SYNCHRONOUS`): `normal` (default)
     * keeps every acknowledged call's audit row through a process crash (even SIGKILL) but an OS crash or power loss
     * can lose the last transactions; `full` fsyncs each commit so it survives those too, at several ms per commit.
     */
    databaseSynchronous: z.enum(["full", "normal"]).optional(),
    /** Key used by core to encrypt upstream secrets at rest. */
    secretKey: z.string().min(32, "WAYGATE_SECRET_KEY must be at least 32 characters"),
    env: z.enum(["development", "production", "test"]).default("development"),
    /** `none` switches authentication off; allowed only outside production and on a loopback host. */
    auth: z.enum(["required", "none"]).default("required"),
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(0).max(65_535).default(3000),
    /** Extra host names accepted in the Host header on every route but the probes (loopback names always; only they with auth `none`). */
    allowedHosts: z.array(z.string().min(1)).default([]),
    /** Browser origins allowed by CORS and by the MCP Origin check. */
    corsOrigins: z.array(z.string().min(1)).default([]),
    bodyLimitBytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    rateLimit: z
      .object({
        windowMs: z.number().int().positive().default(60_000),
        /** Requests per window for keys without their own `rateLimitPerMinute`. */
        limit: z.number().int().positive().default(600),
      })
      .prefault({}),
    /**
     * Failed authentications allowed per client address (IPv6 by /56) and window; past the limit the address gets 429
     * before any key lookup until the window ends. Counted per gateway process.
     */
    authFailures: z
      .object({
        windowMs: z.number().int().positive().default(60_000),
        limit: z.number().int().positive().default(100),
      })
      .prefault({}),
    /** An express-rate-limit store (e.g. rate-limit-redis) shared by several replicas. */
    rateLimitStore: z.custom<Store>((v) => typeof v === "object" && v !== null).optional(),
    /**
     * Carries 2026-07-28 `input_required` rounds between replicas, so a client's next round may reach any replica
     * (`createRedisRoundRelay` from `@waygate/server/redis`). Without one, a round that reaches another replica than
     * the one that parked its call is refused with an error naming the fix. The gateway closes it.
     */
    roundRelay: z.custom<RoundRelay>((v) => typeof v === "object" && v !== null).optional(),
    /** `open` serves /metrics without a key; `protected` requires the `metrics:read` scope. */
    metrics: z.enum(["protected", "open"]).default("protected"),
    collectDefaultMetrics: z.boolean().default(true),
    logger: z.custom<winston.Logger>((v) => typeof v === "object" && v !== null).optional(),
    logLevel: z.enum(LOG_LEVELS).default("info"),
    /**
     * In-process plugins: a plugin, or `{ plugin, config, source, version, reimport }`. `source` (package or path) and
     * `version` go to the plugin registry; `reimport` gives a fresh instance of the plugin's code, so
     * `POST /plugins/:name/reload` reloads code instead of restarting the same instance.
     */
    plugins: z.array(z.custom<object>((v) => typeof v === "object" && v !== null)).default([]),
    /**
     * Plugins the host could not import: each is recorded `failed` with its error in the plugin registry (the gateway
     * starts without it), and `reimport` lets `POST /plugins/:name/reload` try again.
     */
    pluginFailures: z
      .array(
        z.object({
          name: ServerNameSchema,
          source: z.string().min(1),
          version: z.string().nullable().default(null),
          error: z.string(),
          reimport: z.custom<() => Promise<unknown>>((v) => typeof v === "function").optional(),
          config: z.unknown().optional(),
        }),
      )
      .default([]),
    /** Plugins the configuration lists as disabled: recorded `disabled` in the plugin registry, never imported. */
    pluginsDisabled: z
      .array(
        z.object({
          name: ServerNameSchema,
          source: z.string().min(1),
          version: z.string().nullable().default(null),
        }),
      )
      .default([]),
    /**
     * This gateway's name in the plugin registry and on metric roll-ups (default: host name and process id); each
     * replica of a deployment needs its own.
     */
    instanceId: z.string().trim().min(1).max(200).optional(),
    /** Metrics history: roll-ups written to the `metrics` table at `intervalMs` (0 turns them off). */
    metricsHistory: z
      .object({
        intervalMs: z.number().int().min(0).default(60_000),
        /** Roll-ups older than this many days are deleted (runtime setting `metrics.retainDays`). */
        retainDays: z.number().int().min(1).max(3650).default(14),
        /** Roll-ups older than this many hours are merged into hourly rows (`metrics.downsampleAfterHours`). */
        downsampleAfterHours: z.number().int().min(1).default(48),
        /** How often retention and downsampling run. */
        compactEveryMs: z.number().int().positive().default(3_600_000),
      })
      .prefault({}),
    /** Upstream MCP servers by name, in the `mcpServers` shape of Claude Desktop / Cursor configs. */
    upstreams: z.record(ServerNameSchema, z.record(z.string(), z.unknown())).default({}),
    /** Load the enabled servers stored in the database's `mcp_servers` table. */
    loadStoredServers: z.boolean().default(true),
    /**
     * Only these stored servers run here (the app's `MCP_SERVERS_ENABLED`); others, stored now or later, are left
     * alone. Unset: every enabled stored server runs.
     */
    storedServersSelected: z.array(ServerNameSchema).optional(),
    /**
     * Where the `${env:NAME}` references of stored servers (env values, headers, args, URLs) are resolved, on each
     * replica from its own environment (default `process.env`). A server referring to an unset variable fails to
     * start with an error naming it; the others run.
     */
    referenceEnv: z
      // process.env is not a plain object, so a record schema would refuse it.
      .custom<Readonly<Record<string, string | undefined>>>((v) => typeof v === "object" && v !== null)
      .optional(),
    /** Defaults and limits for keys created through `POST /admin/keys` (the CLI applies the same policy). */
    keyPolicy: KeyPolicySchema.prefault({}),
    /**
     * Stdio servers the admin API may register, each fixing command, args, cwd and env: a request must give an
     * entry's command and args (compared as an array) and may leave cwd and env out or repeat them exactly.
     */
    stdioAllowlist: z.array(StdioAllowlistEntrySchema).default([]),
    /**
     * What http/sse upstreams may reach. Loopback, link-local, private, CGNAT, multicast, unspecified, reserved and
     * IPv4-mapped addresses are refused (after resolving the name, at every connect and redirect hop) unless
     * `allow` lists their network in CIDR notation. Set from the config file only, never the HTTP admin API.
     */
    egress: z
      .object({
        allow: z.array(CidrSchema).default([]),
        /** Name resolution (default: `dns.lookup` with `all: true`); replaceable for tests and custom DNS. */
        resolve: z.custom<EgressResolver>((v) => typeof v === "function").optional(),
      })
      .prefault({}),
    timeouts: TimeoutsSchema.prefault({}),
    /**
     * How `/mcp` answers POSTs. `auto` (default): a 2026-07-28 request gets one JSON body unless something is sent
     * before its result (progress, a log line), which turns the answer into a stream; a 2025 session streams every
     * answer, its headers leaving with the first event. `sse`: every POST is streamed. `json`: every POST gets one
     * JSON body (progress and log lines sent during a call are then lost).
     */
    mcpResponseMode: z.enum(["auto", "sse", "json"]).default("auto"),
    /**
     * `stateful` (default): `/mcp` keeps sessions, so several replicas need sticky sessions. `stateless`: any replica
     * serves any request; server-to-client requests (sampling, elicitation), cancellation, list_changed
     * notifications and resource subscriptions need `stateful`.
     */
    mcpSessionMode: z.enum(["stateful", "stateless"]).default("stateful"),
    /**
     * Definition pinning: `strict` hides a new or changed tool, prompt or resource template until an operator approves
     * it, `warn` (default) serves it flagged, `off` does not pin. `servers` sets the mode per server.
     */
    pinning: z
      .object({
        mode: z.enum(["strict", "warn", "off"]).default("warn"),
        servers: z.record(ServerNameSchema, z.enum(["strict", "warn", "off"])).default({}),
      })
      .prefault({}),
    /** The audit trail (`command_history`). */
    audit: z
      .object({
        /**
         * Rows older than this many days are deleted, oldest first, behind an anchor so that `waygate audit verify`
         * still verifies what is left; unset keeps every row.
         */
        retainDays: z.number().positive().optional(),
        /** How often retention looks for old rows. */
        pruneEveryMs: z.number().int().positive().default(3_600_000),
      })
      .prefault({}),
    /**
     * How long an upstream's stored protocol era (2025 or 2026-07-28) is trusted: within it a restart or another
     * replica connects without probing; past it the upstream is probed again, so an upgrade is found.
     */
    upstreamEraHorizonMs: z.number().int().positive().default(86_400_000),
    /**
     * How deep Waygates may aggregate each other: an upstream that is a Waygate already aggregating at this depth or
     * deeper is refused (a gateway with no Waygate upstream is at depth 0). An upstream that is this gateway itself
     * is always refused.
     */
    maxAggregationDepth: z.number().int().min(0).default(2),
    /** Most MCP sessions (Streamable HTTP and legacy SSE) open at once; further initializes get 503. */
    mcpMaxSessions: z.number().int().positive().default(1000),
    /**
     * Most MCP sessions one key (or the anonymous caller) holds at once, so one client cannot fill the global cap.
     * At the cap, the key's least recently used idle session is closed to make room; with none idle, 503.
     */
    mcpMaxSessionsPerKey: z.number().int().positive().default(50),
    /**
     * OAuth 2.1 resource server: access tokens from this issuer are accepted beside API keys, and the protected
     * resource metadata (RFC 9728) is served. Off unless set.
     */
    oauth: OAuthOptionsSchema.optional(),
    /**
     * The operators' web console at `/console` (off when left out): `assetsDir` is the built console, e.g.
     * `consoleAssetsDir` of `@waygate/console`. Operators sign in with an admin key for a session cookie.
     */
    console: z
      .object({
        /** Directory holding the console's `index.html` and `assets/`. */
        assetsDir: z.string().min(1),
        /** How long a sign-in lasts (1 min to 12 h). */
        sessionTtlMs: z
          .number()
          .int()
          .min(60_000)
          .max(12 * 3_600_000)
          .default(3_600_000),
        /**
         * Signs session cookies; replicas behind one load balancer share it. Left out, each gateway draws a random
         * one, so a cookie from another instance (or from before a restart) is refused.
         */
        sessionSecret: z.string().min(32, "console.sessionSecret must be at least 32 characters").optional(),
        /** `auto`: Secure when the request came over TLS (or a proxy's X-Forwarded-Proto says https). */
        secureCookie: z.enum(["auto", "always", "never"]).default("auto"),
        /**
         * With an external `oauth.issuer`: the console's client id there, registered as a public client (PKCE, no
         * secret) with the redirect URI `<publicUrl>/console/api/oauth/callback`. The built-in issuer needs none.
         */
        oauthClientId: z.string().min(1).optional(),
      })
      .optional(),
    /**
     * OAuth of remote upstreams that require it, by server name: Waygate gets their access tokens itself (never the
     * caller's token). Only for http/sse upstreams; their token requests go through `egress` like their MCP traffic.
     */
    upstreamOAuth: z.record(ServerNameSchema, UpstreamOAuthSchema).default({}),
    /** Name and version reported in `serverInfo` and `GET /`. */
    serverInfo: z
      .object({ name: z.string(), version: z.string() })
      .default({ name: "waygate", version: "0.0.0" }),
  })
  .superRefine((options, ctx) => {
    if (!options.database && !options.databaseUrl) {
      ctx.addIssue({
        code: "custom",
        path: ["databaseUrl"],
        message: "give either `database` or `databaseUrl`",
      });
    }
    if (options.timeouts.headersMs > options.timeouts.requestMs) {
      ctx.addIssue({
        code: "custom",
        path: ["timeouts", "headersMs"],
        message: "must not exceed timeouts.requestMs (headers are part of the request)",
      });
    }
    for (const [name, oauth] of Object.entries(options.upstreamOAuth)) {
      if (oauth.authorizationCode && !oauth.authorizationCode.publicUrl && !options.oauth?.publicUrl) {
        ctx.addIssue({
          code: "custom",
          path: ["upstreamOAuth", name, "authorizationCode", "publicUrl"],
          message:
            "per-user upstream tokens need the gateway's public URL for their sign-in links: set `oauth.publicUrl` or this `publicUrl`",
        });
      }
    }
    if (options.auth === "none" && options.env === "production") {
      ctx.addIssue({
        code: "custom",
        path: ["auth"],
        message: "auth 'none' (WAYGATE_AUTH=none) is refused in production",
      });
    }
    if (options.auth === "none" && !isLoopbackHost(options.host)) {
      ctx.addIssue({
        code: "custom",
        path: ["auth"],
        message: `auth 'none' (WAYGATE_AUTH=none) is allowed only on a loopback host, not ${options.host}`,
      });
    }
  });

/** What callers pass to `createGateway`. */
export type GatewayOptionsInput = z.input<typeof GatewayOptionsSchema>;
/** Options after validation and defaults. */
export type GatewayOptions = z.output<typeof GatewayOptionsSchema>;
/** Named timeouts after defaults. */
export type GatewayTimeouts = z.output<typeof TimeoutsSchema>;

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "");
  return bare === "localhost" || bare === "::1" || /^127(\.\d{1,3}){3}$/.test(bare);
}

/** Validates options, throwing a GatewayOptionsError that lists every problem with its path. */
export function parseGatewayOptions(input: unknown): GatewayOptions {
  const parsed = GatewayOptionsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  // A bad record key (a server name) carries its own issues; show those rather than "Invalid key in record".
  const problems = parsed.error.issues.map(
    (issue) =>
      `${issue.path.join(".") || "(options)"}: ${
        issue.code === "invalid_key" ? issue.issues.map((inner) => inner.message).join("; ") : issue.message
      }`,
  );
  throw new GatewayOptionsError(`Invalid gateway options:\n- ${problems.join("\n- ")}`, {
    cause: parsed.error,
  });
}
