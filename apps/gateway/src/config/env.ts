import { z } from "zod";

const booleanFromEnv = z
  .enum(["true", "false", "1", "0", "yes", "no", "on", "off"], {
    error: "expected true or false",
  })
  .transform((value) => ["true", "1", "yes", "on"].includes(value));

const csv = z.string().transform((value) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

/**
 * The environment variables the gateway reads. Every one is optional here: defaults are applied after
 * the config file is merged in, so that the environment wins over the file and the file over defaults.
 */
export const EnvSchema = z.object({
  DATABASE_URL: z
    .string()
    .min(1)
    .optional()
    .describe(
      "libSQL URL: `file:./data/waygate.db` (default), `:memory:`, `libsql://…` or `https://…` (Turso)",
    ),
  DATABASE_AUTH_TOKEN: z
    .string()
    .min(1)
    .optional()
    .describe("auth token for a remote libSQL / Turso database"),
  DATABASE_SYNCHRONOUS: z
    .enum(["full", "normal"])
    .optional()
    .describe(
      "SQLite `synchronous` for a local database file: `normal` (default; WAL, may lose the last commits on " +
        "power loss, never corrupts) or `full` (each commit, and so each audit row, is on disk before the answer)",
    ),
  WAYGATE_SECRET_KEY: z
    .string()
    .min(32, { error: "must be at least 32 characters" })
    .optional()
    .describe(
      "secret that keys API-key hashes and encrypts stored upstream secrets; required in production (`openssl rand -hex 32`)",
    ),
  WAYGATE_PREVIOUS_SECRET_KEY: z
    .string()
    .min(32, { error: "must be at least 32 characters" })
    .optional()
    .describe(
      "the earlier WAYGATE_SECRET_KEY, read only by `waygate secrets rotate` to re-encrypt stored upstream secrets",
    ),
  WAYGATE_ENV: z
    .enum(["development", "production", "test"])
    .optional()
    .describe("`development` (default), `production` or `test`"),
  WAYGATE_HOST: z.string().min(1).optional().describe("address to listen on (default `127.0.0.1`)"),
  WAYGATE_PORT: z.coerce
    .number({ error: "expected a port number" })
    .int()
    .min(0)
    .max(65535)
    .optional()
    .describe("port to listen on (default `3000`; `0` picks a free port)"),
  WAYGATE_CONFIG: z.string().min(1).optional().describe("path to a JSON config file (see below)"),
  WAYGATE_ALLOWED_HOSTS: csv
    .optional()
    .describe(
      "comma-separated host names clients use to reach the gateway (the Host header check); required in " +
        "production when WAYGATE_HOST is a wildcard address such as `0.0.0.0` (wins over `gateway.allowedHosts`)",
    ),
  WAYGATE_AUTH: z
    .enum(["required", "none"])
    .optional()
    .describe("`required` (default) or `none` (loopback development only; refused in production)"),
  MCP_SERVERS_ENABLED: csv
    .optional()
    .describe("comma-separated names of configured servers and bridges to start (default: all enabled)"),
  MCP_AUTO_INITIALIZE: booleanFromEnv
    .optional()
    .describe(
      "`true` (default): print start-up progress and each upstream's state (and why a failed one failed); " +
        "`false`: print nothing about them. Either way every upstream starts with the gateway (no lazy start yet)",
    ),
  WAYGATE_EXAMPLES: booleanFromEnv
    .optional()
    .describe(
      "`true` (default): in development, with no config file and no stored server, `waygate start` serves the " +
        "example configuration (server-everything, and the example plugin in a checkout); `false`: serve nothing",
    ),
  CORS_ORIGINS: csv.optional().describe("comma-separated origins allowed to call the gateway from a browser"),
  LOG_LEVEL: z
    .enum(["error", "warn", "info", "http", "debug"])
    .optional()
    .describe("`error`, `warn`, `info` (default), `http` or `debug`"),
  WAYGATE_INSTANCE_ID: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .describe(
      "this replica's name in the plugin registry (`waygate plugins list`) and on metric roll-ups; give each " +
        "replica its own (default: host name and process id)",
    ),
  REDIS_URL: z
    .url({
      protocol: /^rediss?$/,
      error: "expected a redis:// or rediss:// URL such as redis://localhost:6379",
    })
    .optional()
    .describe(
      "Redis shared by the replicas: it keeps rate-limit counters, so every replica pointed at it enforces one " +
        "limit per key, and relays a 2026-07-28 client's input_required rounds to the replica running the call, " +
        "so any replica may receive them (default: counters in each process's memory, and each round must reach " +
        "the replica that parked its call)",
    ),
  WAYGATE_RATE_LIMIT_FAIL_MODE: z
    .enum(["open", "closed"])
    .optional()
    .describe(
      "with `REDIS_URL`, what happens while Redis is unreachable: `open` (default) serves requests without " +
        "rate limits, `closed` refuses them with 503 `rate_limit_unavailable`",
    ),
  MCP_SESSION_MODE: z
    .enum(["stateful", "stateless"])
    .optional()
    .describe(
      "`stateful` (default): `/mcp` keeps sessions, so several replicas need sticky sessions; `stateless`: " +
        "any replica answers any `/mcp` POST (no sampling, elicitation, cancellation or list_changed)",
    ),
  MCP_RESPONSE_MODE: z
    .enum(["auto", "sse", "json"])
    .optional()
    .describe(
      "how `/mcp` answers POSTs: `auto` (default): a 2026-07-28 request gets one JSON body unless it sends " +
        "notifications first, and a 2025 session's POSTs are streamed; `sse`: every POST is streamed (for a " +
        "client that misbehaves with JSON answers); `json`: every POST gets one JSON body (progress, logs and a " +
        "2025 session's client requests of a call are lost)",
    ),
});

/** The environment after validation. */
export type WaygateEnv = z.infer<typeof EnvSchema>;

/** How to fix a bad value of each variable, shown next to the error. */
export const ENV_FIXES: Readonly<Record<keyof WaygateEnv, string>> = {
  DATABASE_URL: "set DATABASE_URL to file:./data/waygate.db, :memory: or a libsql:// URL",
  DATABASE_AUTH_TOKEN: "set DATABASE_AUTH_TOKEN to the token of your Turso database, or unset it",
  DATABASE_SYNCHRONOUS: "set DATABASE_SYNCHRONOUS to full or normal, or unset it",
  WAYGATE_SECRET_KEY: "generate one with `openssl rand -hex 32` and set WAYGATE_SECRET_KEY to it",
  WAYGATE_PREVIOUS_SECRET_KEY: "set it to the WAYGATE_SECRET_KEY that stored the secrets, or unset it",
  WAYGATE_ENV: "set WAYGATE_ENV to development, production or test",
  WAYGATE_HOST: "set WAYGATE_HOST to an address such as 127.0.0.1 or 0.0.0.0",
  WAYGATE_PORT: "set WAYGATE_PORT to a whole number from 0 to 65535, e.g. 3000",
  WAYGATE_CONFIG: "set WAYGATE_CONFIG to the path of a JSON config file, or unset it",
  WAYGATE_ALLOWED_HOSTS: "list the host names clients use, separated by commas, e.g. waygate.example.com",
  WAYGATE_AUTH: "set WAYGATE_AUTH to required or none",
  MCP_SERVERS_ENABLED: "list server names separated by commas, e.g. github,everything",
  MCP_AUTO_INITIALIZE: "set MCP_AUTO_INITIALIZE to true or false",
  WAYGATE_EXAMPLES: "set WAYGATE_EXAMPLES to true or false",
  CORS_ORIGINS: "list origins separated by commas, e.g. https://app.example.com",
  LOG_LEVEL: "set LOG_LEVEL to error, warn, info, http or debug",
  WAYGATE_INSTANCE_ID: "set WAYGATE_INSTANCE_ID to a name of up to 200 characters, e.g. the pod name",
  REDIS_URL: "set REDIS_URL to a URL such as redis://localhost:6379, or unset it",
  WAYGATE_RATE_LIMIT_FAIL_MODE: "set WAYGATE_RATE_LIMIT_FAIL_MODE to open or closed",
  MCP_SESSION_MODE: "set MCP_SESSION_MODE to stateful or stateless",
  MCP_RESPONSE_MODE: "set MCP_RESPONSE_MODE to auto, sse or json",
};
