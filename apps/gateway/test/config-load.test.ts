import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CommandContext } from "../src/cli/context.js";
import { loadConfig } from "../src/config/load.js";
import { ConfigError } from "../src/errors.js";
import { prepareGateway } from "../src/runtime/prepare.js";
import { tempDir, writeJson } from "./helpers.js";

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await dir.cleanup();
});

async function configErrorOf(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(ConfigError.isInstance(error)).toBe(true);
  return error as ConfigError;
}

describe("DATABASE_SYNCHRONOUS", () => {
  it("opens the database with synchronous=full when DATABASE_SYNCHRONOUS=full, and normal by default", async () => {
    for (const [value, expected] of [
      ["full", "full"],
      [undefined, "normal"],
    ] as const) {
      const env: Record<string, string> = {
        DATABASE_URL: `file:${join(dir.path, `${expected}.db`)}`,
        WAYGATE_SECRET_KEY: "test-secret-key-0123456789abcdef-0123456789",
        ...(value ? { DATABASE_SYNCHRONOUS: value } : {}),
      };
      const config = await loadConfig({ env, cwd: dir.path });
      expect(config.database.synchronous).toBe(value);
      // Only what prepareGateway touches: where it runs, and where progress and the first-key banner go.
      const context = {
        io: { cwd: dir.path, env, stderr: { write: () => true } },
        output: { progress: () => {} },
        loadConfig: async () => config,
      } as unknown as CommandContext;
      const prepared = await prepareGateway(config, context);
      try {
        expect(prepared.db.synchronous).toBe(expected);
      } finally {
        prepared.db.close();
      }
    }
  });

  it("refuses any other value, naming the variable and its values", async () => {
    const bad = await configErrorOf(loadConfig({ env: { DATABASE_SYNCHRONOUS: "off" }, cwd: dir.path }));
    expect(bad.issues).toEqual([
      expect.objectContaining({
        path: "DATABASE_SYNCHRONOUS",
        fix: "set DATABASE_SYNCHRONOUS to full or normal, or unset it",
      }),
    ]);
  });
});

describe("loadConfig", () => {
  it("applies the documented defaults to an empty environment", async () => {
    const config = await loadConfig({ env: {}, cwd: dir.path });
    expect(config).toMatchObject({
      env: "development",
      database: { url: "file:./data/waygate.db" },
      host: "127.0.0.1",
      port: 3000,
      auth: "required",
      logLevel: "info",
      autoInitialize: true,
      examples: true,
      mcpResponseMode: "auto",
      serversEnabled: undefined,
      upstreams: [],
      plugins: [],
      keyPolicy: { defaultScopes: ["tools:list", "tools:call"], defaultToolPatterns: ["*"] },
    });
  });

  it("lets the environment win over the config file, and the file over defaults", async () => {
    const file = await writeJson(dir.path, "waygate.json", {
      gateway: { host: "0.0.0.0", port: 4000, logLevel: "debug" },
    });
    const config = await loadConfig({ env: { WAYGATE_CONFIG: file, WAYGATE_PORT: "5000" }, cwd: dir.path });
    expect(config.port).toBe(5000);
    expect(config.host).toBe("0.0.0.0");
    expect(config.logLevel).toBe("debug");
    expect(config.auth).toBe("required");
  });

  it("reads the scale-out settings: session mode from the file or the environment, fail mode from the environment", async () => {
    const file = await writeJson(dir.path, "waygate.json", {
      gateway: { mcpSessionMode: "stateless", timeouts: { serverSyncMs: 5000, sseKeepAliveMs: 20_000 } },
    });
    const fromFile = await loadConfig({ env: { WAYGATE_CONFIG: file }, cwd: dir.path });
    expect(fromFile).toMatchObject({
      mcpSessionMode: "stateless",
      rateLimitFailMode: "open",
      redisUrl: undefined,
      server: { timeouts: { serverSyncMs: 5000, sseKeepAliveMs: 20_000 } },
    });
    const fromEnv = await loadConfig({
      env: {
        WAYGATE_CONFIG: file,
        MCP_SESSION_MODE: "stateful",
        REDIS_URL: "rediss://cache.internal:6380/2",
        WAYGATE_RATE_LIMIT_FAIL_MODE: "closed",
      },
      cwd: dir.path,
    });
    expect(fromEnv).toMatchObject({
      mcpSessionMode: "stateful",
      rateLimitFailMode: "closed",
      redisUrl: "rediss://cache.internal:6380/2",
    });
    const bad = await configErrorOf(
      loadConfig({
        env: { REDIS_URL: "http://cache:6379", MCP_SESSION_MODE: "sticky" },
        cwd: dir.path,
      }),
    );
    expect(bad.issues.map((issue) => issue.path).sort()).toEqual(["MCP_SESSION_MODE", "REDIS_URL"]);
  });

  it("reads the MCP response mode from the file, lets MCP_RESPONSE_MODE override it, and defaults to auto", async () => {
    const file = await writeJson(dir.path, "waygate.json", { gateway: { mcpResponseMode: "json" } });
    const fromFile = await loadConfig({ env: { WAYGATE_CONFIG: file }, cwd: dir.path });
    expect(fromFile.mcpResponseMode).toBe("json");
    const fromEnv = await loadConfig({
      env: { WAYGATE_CONFIG: file, MCP_RESPONSE_MODE: "sse" },
      cwd: dir.path,
    });
    expect(fromEnv.mcpResponseMode).toBe("sse");
    expect((await loadConfig({ env: {}, cwd: dir.path })).mcpResponseMode).toBe("auto");
  });

  it("refuses an unknown MCP_RESPONSE_MODE, naming the variable and its values", async () => {
    const bad = await configErrorOf(loadConfig({ env: { MCP_RESPONSE_MODE: "stream" }, cwd: dir.path }));
    expect(bad.issues).toEqual([
      expect.objectContaining({
        path: "MCP_RESPONSE_MODE",
        fix: "set MCP_RESPONSE_MODE to auto, sse or json",
      }),
    ]);
  });

  it("refuses an unknown gateway.mcpResponseMode in the config file, naming its path and its values", async () => {
    const file = await writeJson(dir.path, "waygate.json", { gateway: { mcpResponseMode: "stream" } });
    const bad = await configErrorOf(loadConfig({ env: { WAYGATE_CONFIG: file }, cwd: dir.path }));
    expect(bad.issues).toEqual([
      expect.objectContaining({
        path: "gateway.mcpResponseMode",
        fix: 'use one of: "auto", "sse", "json"',
      }),
    ]);
  });

  it("keeps file-only server settings for createGateway and rejects unknown ones", async () => {
    const file = await writeJson(dir.path, "waygate.json", {
      gateway: { allowedHosts: ["gw.example.com"], metrics: "open", rateLimit: { limit: 100 } },
    });
    const config = await loadConfig({ env: { WAYGATE_CONFIG: file }, cwd: dir.path });
    expect(config.server).toEqual({
      allowedHosts: ["gw.example.com"],
      metrics: "open",
      rateLimit: { limit: 100 },
    });
    const bad = await writeJson(dir.path, "bad.json", {
      gateway: { timeouts: { toolCallMs: -1, forever: true } },
    });
    const error = await configErrorOf(loadConfig({ env: { WAYGATE_CONFIG: bad }, cwd: dir.path }));
    expect(error.issues.map((issue) => issue.path).sort()).toEqual([
      "gateway.timeouts",
      "gateway.timeouts.toolCallMs",
    ]);
  });

  it("passes gateway.audit (retention) and gateway.pinning to the server, and names a bad retainDays", async () => {
    const file = await writeJson(dir.path, "audit.json", {
      gateway: { audit: { retainDays: 90 }, pinning: { mode: "strict", servers: { docs: "off" } } },
    });
    const config = await loadConfig({ env: { WAYGATE_CONFIG: file }, cwd: dir.path });
    expect(config.server).toEqual({
      audit: { retainDays: 90 },
      pinning: { mode: "strict", servers: { docs: "off" } },
    });
    const bad = await writeJson(dir.path, "bad-audit.json", {
      gateway: { audit: { retainDays: -3, keep: true } },
    });
    const error = await configErrorOf(loadConfig({ env: { WAYGATE_CONFIG: bad }, cwd: dir.path }));
    expect(error.issues.map((issue) => issue.path).sort()).toEqual([
      "gateway.audit",
      "gateway.audit.retainDays",
    ]);
  });

  it("passes gateway.mcpMaxSessions and mcpMaxSessionsPerKey to the server, and names a cap that is not positive", async () => {
    const file = await writeJson(dir.path, "caps.json", {
      gateway: { mcpMaxSessions: 200, mcpMaxSessionsPerKey: 5 },
    });
    const config = await loadConfig({ env: { WAYGATE_CONFIG: file }, cwd: dir.path });
    expect(config.server).toEqual({ mcpMaxSessions: 200, mcpMaxSessionsPerKey: 5 });
    const bad = await writeJson(dir.path, "bad-caps.json", { gateway: { mcpMaxSessionsPerKey: 0 } });
    const error = await configErrorOf(loadConfig({ env: { WAYGATE_CONFIG: bad }, cwd: dir.path }));
    expect(error.issues.map((issue) => issue.path)).toEqual(["gateway.mcpMaxSessionsPerKey"]);
  });

  it("passes gateway.oauth to the server with its defaults, resolving ${env:NAME} in the introspection secret", async () => {
    const file = await writeJson(dir.path, "oauth.json", {
      gateway: {
        oauth: {
          issuer: "https://login.example.com/realms/waygate",
          publicUrl: "https://gateway.example.com",
          introspection: { clientId: "waygate", clientSecret: "${env:INTROSPECTION_SECRET}" },
          scopes: { "mcp:use": ["tools:list", "tools:call"] },
        },
      },
    });
    const config = await loadConfig({
      env: { WAYGATE_CONFIG: file, INTROSPECTION_SECRET: "s3cret" },
      cwd: dir.path,
    });
    expect(config.server.oauth).toMatchObject({
      issuer: "https://login.example.com/realms/waygate",
      publicUrl: "https://gateway.example.com",
      introspection: { clientId: "waygate", clientSecret: "s3cret" },
      scopes: { "mcp:use": ["tools:list", "tools:call"] },
      clockSkewSeconds: 60,
    });
  });

  it("passes gateway.oauth.builtin with its issuer filled in, and refuses it beside an external issuer", async () => {
    const file = await writeJson(dir.path, "builtin.json", {
      gateway: {
        oauth: { builtin: { accessTokenTtlSeconds: 600 }, publicUrl: "https://gateway.example.com" },
      },
    });
    const config = await loadConfig({ env: { WAYGATE_CONFIG: file }, cwd: dir.path });
    expect(config.server.oauth).toMatchObject({
      issuer: "https://gateway.example.com/oauth",
      builtin: { accessTokenTtlSeconds: 600, dynamicRegistration: true },
    });
    const both = await writeJson(dir.path, "both.json", {
      gateway: {
        oauth: { builtin: {}, issuer: "https://login.example.com", publicUrl: "https://gateway.example.com" },
      },
    });
    const error = await configErrorOf(loadConfig({ env: { WAYGATE_CONFIG: both }, cwd: dir.path }));
    expect(error.message).toContain("oauth.issuer and oauth.builtin exclude each other");
  });

  it("passes gateway.upstreamOAuth to the server, resolving ${env:NAME} in the client secret", async () => {
    const file = await writeJson(dir.path, "upstream-oauth.json", {
      gateway: {
        upstreamOAuth: {
          crm: {
            clientCredentials: { clientId: "waygate", clientSecret: "${env:CRM_SECRET}", scope: "mcp" },
          },
        },
      },
    });
    const config = await loadConfig({ env: { WAYGATE_CONFIG: file, CRM_SECRET: "s3cret" }, cwd: dir.path });
    expect(config.server.upstreamOAuth).toEqual({
      crm: { clientCredentials: { clientId: "waygate", clientSecret: "s3cret", scope: "mcp" } },
    });
    const bad = await writeJson(dir.path, "bad-upstream-oauth.json", {
      gateway: { upstreamOAuth: { crm: { clientCredentials: { clientId: "waygate" } } } },
    });
    const error = await configErrorOf(loadConfig({ env: { WAYGATE_CONFIG: bad }, cwd: dir.path }));
    expect(error.issues.map((issue) => issue.path)).toEqual([
      "gateway.upstreamOAuth.crm.clientCredentials.clientSecret",
    ]);
  });

  it("refuses a plain-http issuer off loopback, a public URL with a path and an unknown Waygate scope", async () => {
    const file = await writeJson(dir.path, "bad-oauth.json", {
      gateway: {
        oauth: {
          issuer: "http://login.example.com",
          publicUrl: "https://gateway.example.com/waygate",
          scopes: { "mcp:use": ["tools:everything"] },
        },
      },
    });
    const error = await configErrorOf(loadConfig({ env: { WAYGATE_CONFIG: file }, cwd: dir.path }));
    expect(error.issues.map((issue) => issue.path).sort()).toEqual([
      "gateway.oauth.issuer",
      "gateway.oauth.publicUrl",
      "gateway.oauth.scopes.mcp:use[0]",
    ]);
    expect(error.message).toContain("must use https");
    expect(error.message).toContain("without a path");
  });

  it("reads a Claude Desktop mcpServers file unchanged, ignoring the client's own keys", async () => {
    const file = await writeJson(dir.path, "claude_desktop_config.json", {
      globalShortcut: "Ctrl+Space",
      mcpServers: {
        everything: { command: "npx", args: ["-y", "@modelcontextprotocol/server-everything"] },
        remote: { url: "https://mcp.example.com/mcp", headers: { Authorization: "Bearer x" } },
        legacy: { type: "sse", url: "http://127.0.0.1:9000/sse" },
      },
    });
    const config = await loadConfig({ env: { WAYGATE_CONFIG: file }, cwd: dir.path });
    expect(config.upstreams).toEqual([
      {
        name: "everything",
        transport: "stdio",
        command: "npx",
        args: ["-y", "@modelcontextprotocol/server-everything"],
        env: {},
        enabled: true,
      },
      {
        name: "remote",
        transport: "http",
        url: "https://mcp.example.com/mcp",
        headers: { Authorization: "Bearer x" },
        enabled: true,
      },
      { name: "legacy", transport: "sse", url: "http://127.0.0.1:9000/sse", headers: {}, enabled: true },
    ]);
  });

  it("names each unknown key of a server entry in a warning, with what to use instead for other clients' keys", async () => {
    const file = await writeJson(dir.path, "cline_mcp_settings.json", {
      mcpServers: {
        slow: { command: "npx", args: ["-y", "slow-server"], timeout: 120, autoApprove: ["read"] },
        odd: { command: "odd", retries: 3 },
      },
    });
    const config = await loadConfig({ env: { WAYGATE_CONFIG: file }, cwd: dir.path });
    expect(config.upstreams.map((server) => server.name)).toEqual(["slow", "odd"]);
    expect(config.warnings).toEqual([
      {
        path: "mcpServers.slow.timeout",
        message: expect.stringContaining("set requestTimeoutMs (milliseconds) on the entry instead"),
      },
      {
        path: "mcpServers.slow.autoApprove",
        message: expect.stringContaining("`waygate keys create --tools`"),
      },
      {
        path: "mcpServers.odd.retries",
        message:
          "is not a server setting Waygate knows (type, command, args, env, cwd, url, headers, disabled, connectTimeoutMs, requestTimeoutMs); ignored",
      },
    ]);
  });

  it("maps other clients' names for url and type (Windsurf serverUrl, Gemini CLI httpUrl, Cline transportType)", async () => {
    const file = await writeJson(dir.path, "mixed.json", {
      mcpServers: {
        windsurf: { serverUrl: "https://a.example.com/mcp" },
        gemini: { httpUrl: "https://b.example.com/mcp" },
        cline: { transportType: "sse", url: "https://c.example.com/sse" },
      },
    });
    const config = await loadConfig({ env: { WAYGATE_CONFIG: file }, cwd: dir.path });
    expect(config.warnings).toEqual([]);
    expect(
      config.upstreams.map((server) => [server.name, server.transport, "url" in server && server.url]),
    ).toEqual([
      ["windsurf", "http", "https://a.example.com/mcp"],
      ["gemini", "http", "https://b.example.com/mcp"],
      ["cline", "sse", "https://c.example.com/sse"],
    ]);
  });

  it("warns about a mapped key that the entry also sets under Waygate's name, and keeps Waygate's", async () => {
    const file = await writeJson(dir.path, "both.json", {
      mcpServers: { twice: { url: "https://a.example.com/mcp", serverUrl: "https://other.example.com/mcp" } },
    });
    const config = await loadConfig({ env: { WAYGATE_CONFIG: file }, cwd: dir.path });
    expect(config.warnings).toEqual([
      {
        path: "mcpServers.twice.serverUrl",
        message: `is Windsurf's name for "url", which the entry also sets; ignored`,
      },
    ]);
    expect(config.upstreams[0]).toMatchObject({ url: "https://a.example.com/mcp" });
  });

  it("still refuses an entry with neither command nor url after mapping, naming its path", async () => {
    const file = await writeJson(dir.path, "bad.json", { mcpServers: { nothing: { timeout: 60 } } });
    const bad = await configErrorOf(loadConfig({ env: { WAYGATE_CONFIG: file }, cwd: dir.path }));
    expect(bad.issues.map((issue) => issue.path)).toContain("mcpServers.nothing");
  });

  it("resolves ${env:NAME} references so secrets stay out of the file", async () => {
    const file = await writeJson(dir.path, "waygate.json", {
      mcpServers: { gh: { command: "gh-mcp", env: { GITHUB_TOKEN: "${env:MY_TOKEN}" } } },
    });
    const config = await loadConfig({ env: { WAYGATE_CONFIG: file, MY_TOKEN: "s3cret" }, cwd: dir.path });
    expect(config.upstreams[0]).toMatchObject({ env: { GITHUB_TOKEN: "s3cret" } });
  });

  it("reads stdioAllowlist entries with command, args, cwd and env, resolving ${env:NAME} in env", async () => {
    const file = await writeJson(dir.path, "waygate.json", {
      stdioAllowlist: [
        { command: "node", args: ["/opt/mcp/server.js"], cwd: "/opt/mcp", env: { TOKEN: "${env:MY_TOKEN}" } },
      ],
    });
    const config = await loadConfig({ env: { WAYGATE_CONFIG: file, MY_TOKEN: "s3cret" }, cwd: dir.path });
    expect(config.stdioAllowlist).toEqual([
      { command: "node", args: ["/opt/mcp/server.js"], cwd: "/opt/mcp", env: { TOKEN: "s3cret" } },
    ]);
  });

  it("refuses a command line string as a stdioAllowlist entry, saying to write command and args", async () => {
    const file = await writeJson(dir.path, "waygate.json", { stdioAllowlist: ["node /opt/mcp/server.js"] });
    const error = await configErrorOf(loadConfig({ env: { WAYGATE_CONFIG: file }, cwd: dir.path }));
    expect(error.issues).toEqual([
      expect.objectContaining({
        path: "stdioAllowlist[0]",
        message:
          'an allowlist entry is an object that fixes what runs: { "command": "node", "args": ["server.js"], "cwd"?: "/srv", "env"?: { "NAME": "value or ${env:NAME}" } }, not a command line',
      }),
    ]);
  });

  it("reads egress.allow networks and passes them to the gateway; none are allowed by default", async () => {
    const file = await writeJson(dir.path, "waygate.json", { egress: { allow: ["10.0.0.0/8", "fd00::/8"] } });
    const config = await loadConfig({ env: { WAYGATE_CONFIG: file }, cwd: dir.path });
    expect(config.egressAllow).toEqual(["10.0.0.0/8", "fd00::/8"]);
    expect((await loadConfig({ env: {}, cwd: dir.path })).egressAllow).toEqual([]);
  });

  it("passes gateway.authFailures and gateway.maxAggregationDepth to the gateway", async () => {
    const file = await writeJson(dir.path, "waygate.json", {
      gateway: { authFailures: { limit: 5 }, maxAggregationDepth: 1 },
    });
    const config = await loadConfig({ env: { WAYGATE_CONFIG: file }, cwd: dir.path });
    expect(config.server).toMatchObject({ authFailures: { limit: 5 }, maxAggregationDepth: 1 });
  });

  it("refuses a negative gateway.maxAggregationDepth, naming its path", async () => {
    const file = await writeJson(dir.path, "waygate.json", { gateway: { maxAggregationDepth: -1 } });
    const error = await configErrorOf(loadConfig({ env: { WAYGATE_CONFIG: file }, cwd: dir.path }));
    expect(error.issues).toEqual([expect.objectContaining({ path: "gateway.maxAggregationDepth" })]);
  });

  it("refuses an egress.allow entry that is not a CIDR network, naming its path", async () => {
    const file = await writeJson(dir.path, "waygate.json", { egress: { allow: ["10.0.0.0/33"] } });
    const error = await configErrorOf(loadConfig({ env: { WAYGATE_CONFIG: file }, cwd: dir.path }));
    expect(error.issues).toEqual([
      expect.objectContaining({
        path: "egress.allow[0]",
        message: 'must be a network in CIDR notation, e.g. "10.0.0.0/8" or "fd00::/8"',
      }),
    ]);
  });

  it("names the path and the variable when a ${env:NAME} reference is unset", async () => {
    const file = await writeJson(dir.path, "waygate.json", {
      mcpServers: { gh: { command: "gh-mcp", env: { GITHUB_TOKEN: "${env:MISSING_TOKEN}" } } },
    });
    const error = await configErrorOf(loadConfig({ env: { WAYGATE_CONFIG: file }, cwd: dir.path }));
    expect(error.issues).toEqual([
      expect.objectContaining({
        path: "mcpServers.gh.env.GITHUB_TOKEN",
        message: expect.stringContaining("MISSING_TOKEN, which is not set"),
      }),
    ]);
  });

  it("lists every bad environment variable at once, each with its name and a fix", async () => {
    const error = await configErrorOf(
      loadConfig({
        env: {
          WAYGATE_PORT: "eighty",
          WAYGATE_ENV: "staging",
          MCP_AUTO_INITIALIZE: "maybe",
          WAYGATE_SECRET_KEY: "short",
        },
        cwd: dir.path,
      }),
    );
    expect(error.code).toBe("config_invalid");
    expect(error.issues.map((issue) => issue.path).sort()).toEqual([
      "MCP_AUTO_INITIALIZE",
      "WAYGATE_ENV",
      "WAYGATE_PORT",
      "WAYGATE_SECRET_KEY",
    ]);
    for (const issue of error.issues) expect(issue.fix).toMatch(/\S/);
    expect(error.message).toContain("WAYGATE_PORT");
    expect(error.message).toContain("openssl rand -hex 32");
  });

  it("lists every invalid entry of the config file with its path", async () => {
    const file = await writeJson(dir.path, "waygate.json", {
      gateway: { port: "eighty", colour: "blue" },
      mcpServers: { "bad name!": { command: "x" }, empty: {}, badurl: { url: "ftp://x" } },
      keyPolicy: { maxExpiresInDays: -1 },
    });
    const error = await configErrorOf(loadConfig({ env: { WAYGATE_CONFIG: file }, cwd: dir.path }));
    const paths = error.issues.map((issue) => issue.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "gateway.port",
        "gateway",
        "mcpServers.bad name!",
        "mcpServers.empty",
        "mcpServers.badurl.url",
        "keyPolicy.maxExpiresInDays",
      ]),
    );
    expect(error.issues.find((issue) => issue.path === "gateway")?.fix).toContain('"colour"');
    expect(error.message).toContain(file);
  });

  it("reports a missing config file by its variable", async () => {
    const error = await configErrorOf(loadConfig({ env: { WAYGATE_CONFIG: "nowhere.json" }, cwd: dir.path }));
    expect(error.issues[0]).toMatchObject({
      path: "WAYGATE_CONFIG",
      message: expect.stringContaining("does not exist"),
    });
  });

  it("reports invalid JSON with its line and column", async () => {
    const file = await writeJson(dir.path, "broken.json", '{\n  "mcpServers": {,\n}');
    const error = await configErrorOf(loadConfig({ env: {}, cwd: dir.path, configPath: file }));
    expect(error.issues[0]).toMatchObject({
      path: "--config",
      message: expect.stringMatching(/line 2, column \d+/),
    });
  });

  it("refuses production without a secret key and with auth switched off", async () => {
    const error = await configErrorOf(
      loadConfig({ env: { WAYGATE_ENV: "production", WAYGATE_AUTH: "none" }, cwd: dir.path }),
    );
    expect(error.issues.map((issue) => issue.path)).toEqual(["WAYGATE_SECRET_KEY", "WAYGATE_AUTH"]);
  });

  it("refuses auth none on an address other than loopback", async () => {
    const error = await configErrorOf(
      loadConfig({ env: { WAYGATE_AUTH: "none", WAYGATE_HOST: "0.0.0.0" }, cwd: dir.path }),
    );
    expect(error.issues[0]?.message).toContain("loopback");
  });

  it("reads server selection and auto-initialise from the environment", async () => {
    const config = await loadConfig({
      env: {
        MCP_SERVERS_ENABLED: "github, everything,",
        MCP_AUTO_INITIALIZE: "false",
        CORS_ORIGINS: "https://a.example",
      },
      cwd: dir.path,
    });
    expect(config.serversEnabled).toEqual(["github", "everything"]);
    expect(config.autoInitialize).toBe(false);
    expect(config.corsOrigins).toEqual(["https://a.example"]);
  });

  it("rejects a server declared in both mcpServers and servers", async () => {
    const file = await writeJson(dir.path, "waygate.json", {
      mcpServers: { one: { command: "a" } },
      servers: { one: { type: "stdio", command: "b" } },
    });
    const error = await configErrorOf(loadConfig({ env: { WAYGATE_CONFIG: file }, cwd: dir.path }));
    expect(error.issues[0]?.path).toBe("servers.one");
  });
});
