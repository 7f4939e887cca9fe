import { describe, expect, it } from "vitest";
import {
  AlreadyExistsError,
  ConfigValidationError,
  createRepositories,
  McpServerConfigSchema,
  NotFoundError,
  redactMcpServerConfig,
} from "../src/index.js";
import { SECRET, useTempDirs } from "./helpers.js";

const temp = useTempDirs();

const stdio = {
  name: "github",
  transport: "stdio" as const,
  command: "npx",
  args: ["-y", "@modelcontextprotocol/server-github", "--token", "ghp_flag", "--api-key=inline"],
  env: { GITHUB_TOKEN: "ghp_secret", LOG_LEVEL: "debug" },
};
const http = {
  name: "remote",
  transport: "http" as const,
  url: "https://user:pw@mcp.example.com/mcp?api_key=qs-secret&region=eu",
  headers: { Authorization: "Bearer upstream-secret" },
};

describe("mcpServers repository", () => {
  it("saveAll writes every server in one batch, or none: a bad entry or a taken name is named and nothing is written", async () => {
    const { mcpServers } = createRepositories(await temp.db(), { secretKey: SECRET });
    const bad = { name: "broken", transport: "stdio" as const, command: "x", env: { "not-a-name": "1" } };
    const invalid = await mcpServers.saveAll([stdio, http, bad]).catch((error: unknown) => error);
    expect(ConfigValidationError.isInstance(invalid)).toBe(true);
    expect((invalid as Error).message).toContain('MCP server "broken"');
    expect(await mcpServers.list()).toEqual([]);

    await mcpServers.create({ ...stdio, command: "kept" });
    const taken = await mcpServers.saveAll([http, stdio]).catch((error: unknown) => error);
    expect(AlreadyExistsError.isInstance(taken)).toBe(true);
    expect((taken as Error).message).toContain('"github"');
    expect((await mcpServers.list()).map((s) => s.config.name)).toEqual(["github"]);

    const repeated = await mcpServers.saveAll([http, http]).catch((error: unknown) => error);
    expect((repeated as Error).message).toContain('"remote" is given more than once');

    await mcpServers.saveAll([http, stdio], { replace: true });
    expect((await mcpServers.get("github"))?.config).toMatchObject({ command: "npx" });
    expect((await mcpServers.get("remote"))?.config).toMatchObject({ headers: http.headers });
  });

  it("stores a stdio and an http server with defaults, and returns secrets only from get/listWithSecrets", async () => {
    const { mcpServers } = createRepositories(await temp.db(), { secretKey: SECRET });
    const created = await mcpServers.create(stdio);
    expect(created.config).toMatchObject({
      ...stdio,
      enabled: true,
      connectTimeoutMs: 10_000,
      requestTimeoutMs: 60_000,
    });
    expect(created.status).toBe("unknown");
    await mcpServers.create(http);
    expect((await mcpServers.get("github"))?.config).toMatchObject({ env: stdio.env });
    expect((await mcpServers.listWithSecrets()).map((s) => s.config.name)).toEqual(["github", "remote"]);

    const listed = await mcpServers.list();
    const shown = JSON.stringify(listed);
    for (const secret of ["ghp_secret", "ghp_flag", "inline", "upstream-secret", "qs-secret", ":pw@"]) {
      expect(shown).not.toContain(secret);
    }
    const github = listed.find((s) => s.config.name === "github")!.config;
    expect(github).toMatchObject({
      env: { GITHUB_TOKEN: "[REDACTED]", LOG_LEVEL: "[REDACTED]" },
      args: ["-y", "@modelcontextprotocol/server-github", "--token", "[REDACTED]", "--api-key=[REDACTED]"],
    });
    const remote = (await mcpServers.getRedacted("remote"))!.config;
    expect(remote).toMatchObject({ headers: { Authorization: "[REDACTED]" } });
    expect(remote.transport === "http" && remote.url).toContain("region=eu");
  });

  it("tracks status and enabled flags, and removes servers", async () => {
    const { mcpServers } = createRepositories(await temp.db(), { secretKey: SECRET });
    await mcpServers.create(http);
    await mcpServers.setStatus("remote", "error", "connect ECONNREFUSED");
    expect(await mcpServers.get("remote")).toMatchObject({
      status: "error",
      lastError: "connect ECONNREFUSED",
    });
    await mcpServers.setEnabled("remote", false);
    expect(await mcpServers.get("remote")).toMatchObject({ status: "disabled", config: { enabled: false } });
    await mcpServers.upsert({ ...http, url: "https://other.example.com/mcp" });
    expect((await mcpServers.get("remote"))?.config).toMatchObject({ url: "https://other.example.com/mcp" });
    expect(await mcpServers.remove("remote")).toBe(true);
    expect(await mcpServers.remove("remote")).toBe(false);
    const missing = await mcpServers.setStatus("remote", "connected").catch((e) => e);
    expect(NotFoundError.isInstance(missing)).toBe(true);
  });

  it("refuses a duplicate name with AlreadyExistsError", async () => {
    const { mcpServers } = createRepositories(await temp.db(), { secretKey: SECRET });
    await mcpServers.create(stdio);
    const error = await mcpServers.create(stdio).catch((e) => e);
    expect(AlreadyExistsError.isInstance(error)).toBe(true);
    expect(error.code).toBe("ALREADY_EXISTS");
    expect(error.message).toContain('"github" already exists');
  });

  it.each([
    [{ name: "a", transport: "stdio" }, "command", "a stdio server needs a command"],
    [{ name: "a", transport: "stdio", command: "  " }, "command", "a stdio server needs a command"],
    [{ name: "a", transport: "http" }, "url", "must be an http:// or https:// URL"],
    [
      { name: "a", transport: "sse", url: "ftp://x.example.com" },
      "url",
      "must be an http:// or https:// URL",
    ],
    [
      { name: "a", transport: "carrier-pigeon", command: "x" },
      "transport",
      'transport must be "stdio", "http" or "sse"',
    ],
    [{ name: "bad__name", transport: "stdio", command: "x" }, "name", "must not contain '__'"],
    [
      { name: "a", transport: "stdio", command: "x", env: { "1BAD": "v" } },
      "env.1BAD",
      "valid environment variable",
    ],
    [
      { name: "a", transport: "http", url: "https://x.example.com", headers: { "bad header": "v" } },
      "headers.bad header",
      "valid HTTP header",
    ],
    [
      { name: "a", transport: "stdio", command: "x", requestTimeoutMs: 5 },
      "requestTimeoutMs",
      "requestTimeoutMs must be at least 100 (ms)",
    ],
  ])("rejects %j at %s", async (config, path, message) => {
    const { mcpServers } = createRepositories(await temp.db(), { secretKey: SECRET });
    const error = await mcpServers.create(config as never).catch((e) => e);
    expect(ConfigValidationError.isInstance(error)).toBe(true);
    expect(error.code).toBe("CONFIG_INVALID");
    const issue = error.issues.find((i: { path: string }) => i.path === path);
    expect(issue?.message).toContain(message);
    expect(error.message).toContain(message);
    expect(await mcpServers.list()).toEqual([]);
  });

  it("refuses to hand out a stored row that was edited into an invalid config", async () => {
    const db = await temp.db();
    const { mcpServers } = createRepositories(db, { secretKey: SECRET });
    await mcpServers.create(stdio);
    await db.client.execute("UPDATE mcp_servers SET command = '' WHERE name = 'github'");
    const error = await mcpServers.get("github").catch((e) => e);
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toContain("stored MCP server github");
  });
});

describe("redactMcpServerConfig", () => {
  it("hides secret query parameters, percent-escaped names included, and keeps the others", () => {
    const config = McpServerConfigSchema.parse({
      name: "remote",
      transport: "http",
      url: "https://u:pw@mcp.example.com/mcp?api%5Fkey=k1&Access-Token=k2&authToken=k3&region=eu&max_tokens=5#top",
    });
    const shown = redactMcpServerConfig(config);
    expect(shown.transport === "http" && shown.url).toBe(
      "https://***@mcp.example.com/mcp?api%5Fkey=[REDACTED]&Access-Token=[REDACTED]&authToken=[REDACTED]&region=eu&max_tokens=5#top",
    );
  });
});

describe("McpServerConfigSchema", () => {
  it("parses each transport into its own shape", () => {
    expect(
      McpServerConfigSchema.parse({ name: "x", transport: "sse", url: "http://127.0.0.1:3000/sse" }),
    ).toEqual({
      name: "x",
      transport: "sse",
      url: "http://127.0.0.1:3000/sse",
      headers: {},
      enabled: true,
      connectTimeoutMs: 10_000,
      requestTimeoutMs: 60_000,
    });
  });
});
