import {
  BridgeCredentialsError,
  type Env,
  type EnvField,
  parseBridgeSettings,
  readEnvFields,
} from "@waygate/plugin-sdk/bridge";
import { z } from "zod";

/** GitHub's hosted MCP server (Streamable HTTP). */
export const GITHUB_REMOTE_MCP_URL = "https://api.githubcopilot.com/mcp/";

const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;

/** Settings of the GitHub bridge; the environment variables that set them are listed in `GITHUB_ENV_FIELDS`. */
export const GithubBridgeSettingsSchema = z.object({
  /** Personal access token sent as `Authorization: Bearer` (remote) or GITHUB_PERSONAL_ACCESS_TOKEN (stdio). */
  token: z.string().min(1, "must not be empty"),
  /** Only this user's or organization's repositories may be named in calls. */
  owner: z
    .string()
    .regex(LOGIN, "must be a GitHub login (letters, digits and '-', at most 39 characters)")
    .optional(),
  /** Expose only tools that do not write (the default). */
  readOnly: z.boolean().default(true),
  /** GitHub toolsets to enable (e.g. repos, issues, pull_requests); empty means the server's default set. */
  toolsets: z
    .array(z.string().regex(/^[a-z_]+$/, "toolset names are lower-case words joined by '_'"))
    .default([]),
  /** Remote MCP endpoint, used unless `command` is set. */
  url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).default(GITHUB_REMOTE_MCP_URL),
  /** A local stdio server instead of the remote one, e.g. ["github-mcp-server", "stdio"]. */
  command: z.array(z.string().min(1)).min(1, "must name a program").optional(),
  /** How long connecting and the first tool list may take. */
  connectTimeoutMs: z.number().int().positive().default(15_000),
  /** How long one forwarded call may take. */
  callTimeoutMs: z.number().int().positive().default(60_000),
});

/** GitHub bridge settings as written by a user (defaults optional). */
export type GithubBridgeSettingsInput = z.input<typeof GithubBridgeSettingsSchema>;
/** GitHub bridge settings after defaults. */
export type GithubBridgeSettings = z.output<typeof GithubBridgeSettingsSchema>;

/** Which environment variable sets each setting. */
export const GITHUB_ENV_FIELDS: Record<keyof GithubBridgeSettingsInput, EnvField> = {
  token: {
    variable: "GITHUB_TOKEN",
    kind: "string",
    hint: "set GITHUB_TOKEN to a GitHub personal access token",
  },
  owner: {
    variable: "GITHUB_OWNER",
    kind: "string",
    hint: "set GITHUB_OWNER to the user or organization whose repositories callers may use",
  },
  readOnly: {
    variable: "GITHUB_READ_ONLY",
    kind: "boolean",
    hint: "set GITHUB_READ_ONLY to true (default) or false",
  },
  toolsets: {
    variable: "GITHUB_TOOLSETS",
    kind: "list",
    hint: "set GITHUB_TOOLSETS to a comma-separated list such as repos,issues,pull_requests",
  },
  url: { variable: "GITHUB_MCP_URL", kind: "string", hint: `set GITHUB_MCP_URL to ${GITHUB_REMOTE_MCP_URL}` },
  command: {
    variable: "GITHUB_MCP_COMMAND",
    kind: "words",
    hint: "set GITHUB_MCP_COMMAND to the stdio server command, e.g. 'github-mcp-server stdio'",
  },
  connectTimeoutMs: {
    variable: "GITHUB_MCP_CONNECT_TIMEOUT_MS",
    kind: "integer",
    hint: "set GITHUB_MCP_CONNECT_TIMEOUT_MS to a whole number of milliseconds",
  },
  callTimeoutMs: {
    variable: "GITHUB_MCP_CALL_TIMEOUT_MS",
    kind: "integer",
    hint: "set GITHUB_MCP_CALL_TIMEOUT_MS to a whole number of milliseconds",
  },
};

/**
 * Validates GitHub bridge settings: `options` first, the environment over them (env wins, as in the gateway).
 * Throws BridgeCredentialsError naming GITHUB_TOKEN when no token is set, BridgeConfigError for anything else.
 */
export function resolveGithubSettings(
  options: Partial<GithubBridgeSettingsInput>,
  env: Env = {},
): GithubBridgeSettings {
  const input = { ...options, ...readEnvFields(env, GITHUB_ENV_FIELDS) };
  if (input.token === undefined || input.token === "") {
    throw new BridgeCredentialsError(
      "The github bridge has no credentials: GITHUB_TOKEN is not set. Create a personal access token at https://github.com/settings/personal-access-tokens (read-only repository access is enough by default) and set GITHUB_TOKEN to it.",
      ["GITHUB_TOKEN"],
    );
  }
  return parseBridgeSettings(GithubBridgeSettingsSchema, input, GITHUB_ENV_FIELDS, "github");
}
