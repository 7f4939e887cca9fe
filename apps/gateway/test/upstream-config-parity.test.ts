import { join } from "node:path";
import { createRepositories, openDatabase, type WaygateDatabase } from "@waygate/core";
import { createGateway, createLogger, type Gateway } from "@waygate/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readClientServers } from "../src/cli/commands/servers-import.js";
import { loadConfig } from "../src/config/load.js";
import { ConfigError } from "../src/errors.js";
import { tempDir, writeJson } from "./helpers.js";
import { runCli } from "./run-cli.js";

// One schema describes an upstream's config (core's McpServerEntrySchema). This proves the four ways in take it:
// the config file, `waygate servers add`, the admin API and `waygate servers import` accept and refuse the same
// entries, each refusal with the same message.

const SECRET = "parity-secret-key-0123456789abcdef-0123456789";

/** Bad entries, what each way says, and the `servers add` arguments for the same entry (when it has them). */
const refused: { entry: Record<string, unknown>; message: string; add?: string[] }[] = [
  { entry: { command: "" }, message: "a stdio server needs a command", add: ["--", ""] },
  {
    entry: { url: "ftp://mcp.example.com/mcp" },
    message: "url must be an http:// or https:// URL",
    add: ["--url", "ftp://mcp.example.com/mcp"],
  },
  {
    entry: { command: "node", connectTimeoutMs: 5 },
    message: "connectTimeoutMs must be at least 100 (ms)",
    add: ["--connect-timeout-ms", "5", "--", "node"],
  },
  {
    entry: { url: "https://mcp.example.com/mcp", requestTimeoutMs: 3_600_001 },
    message: "requestTimeoutMs must be at most 3600000 (1 hour)",
    add: ["--url", "https://mcp.example.com/mcp", "--request-timeout-ms", "3600001"],
  },
  {
    // `servers add` checks its own flag first ("--request-timeout-ms takes a whole number of milliseconds").
    entry: { command: "node", requestTimeoutMs: 1.5 },
    message: "requestTimeoutMs must be a whole number of milliseconds",
  },
  {
    entry: { command: "node", env: { "1BAD": "v" } },
    message: "must be a valid environment variable name",
    add: ["-e", "1BAD=v", "--", "node"],
  },
  {
    entry: { url: "https://mcp.example.com/mcp", headers: { "bad header": "v" } },
    message: "must be a valid HTTP header name",
    add: ["--url", "https://mcp.example.com/mcp", "-H", "bad header=v"],
  },
  {
    entry: { args: ["server.js"] },
    message: "expected either a command (a local stdio server) or a url (a remote server)",
  },
];

/** Accepted by every way: a remote server in another client's spelling of the type, stored disabled (never contacted). */
const accepted = { type: "streamableHttp", url: "http://127.0.0.1:9/mcp", disabled: true };

let dir: { path: string; cleanup: () => Promise<void> };
let db: WaygateDatabase;
let gateway: Gateway;
let baseUrl: string;
let adminKey: string;

beforeAll(async () => {
  dir = await tempDir();
  db = await openDatabase({ url: `file:${join(dir.path, "admin.db")}` });
  adminKey = (
    await createRepositories(db, { secretKey: SECRET }).apiKeys.create({ name: "a", scopes: ["admin"] })
  ).plaintext;
  gateway = await createGateway({
    database: db,
    secretKey: SECRET,
    env: "test",
    logger: createLogger({ silent: true }),
    collectDefaultMetrics: false,
    egress: { allow: ["127.0.0.1/32"] },
  });
  baseUrl = (await gateway.listen({ host: "127.0.0.1", port: 0 })).url;
});

afterAll(async () => {
  await gateway?.close();
  db?.close();
  await dir?.cleanup();
});

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );

async function viaConfigFile(name: string, entry: unknown): Promise<string | undefined> {
  const file = await writeJson(dir.path, `${name}.json`, { mcpServers: { [name]: entry } });
  const error = await errorOf(loadConfig({ env: { WAYGATE_CONFIG: file }, cwd: dir.path }));
  if (error === undefined) return undefined;
  expect(ConfigError.isInstance(error), String(error)).toBe(true);
  return (error as ConfigError).issues.map((issue) => `${issue.path}: ${issue.message}`).join("\n");
}

async function viaImport(name: string, entry: unknown): Promise<string | undefined> {
  const file = await writeJson(dir.path, `${name}-client.json`, { mcpServers: { [name]: entry } });
  const error = await errorOf(readClientServers(file));
  if (error === undefined) return undefined;
  expect(ConfigError.isInstance(error), String(error)).toBe(true);
  return (error as Error).message;
}

async function viaAdminApi(
  name: string,
  entry: Record<string, unknown>,
): Promise<{ status: number; text: string }> {
  const response = await fetch(`${baseUrl}/admin/servers`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
    body: JSON.stringify({ name, ...entry }),
  });
  return { status: response.status, text: await response.text() };
}

describe("one upstream-config schema for the config file, servers add, the admin API and import", () => {
  it.each(refused.map((c, i) => [i, c.message, c] as const))(
    "refuses entry %i everywhere with '%s'",
    async (index, message, { entry }) => {
      const name = `bad${index}`;
      expect(await viaConfigFile(name, entry)).toContain(message);
      expect(await viaImport(name, entry)).toContain(message);
      const admin = await viaAdminApi(name, entry);
      expect(admin.status).toBe(400);
      expect(admin.text).toContain(message);
    },
  );

  it("refuses the same entries in `waygate servers add`, with the same messages and exit 2", async () => {
    const env = { DATABASE_URL: `file:${join(dir.path, "cli.db")}`, WAYGATE_SECRET_KEY: SECRET };
    for (const { add, message } of refused) {
      if (!add) continue; // Not expressible as `servers add` arguments.
      const run = await runCli(["servers", "add", "bad", ...add], { cwd: dir.path, env });
      expect(run.code, `${add.join(" ")}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toContain(message);
    }
  }, 180_000);

  it("accepts the same entry everywhere", async () => {
    expect(await viaConfigFile("good", accepted)).toBeUndefined();
    expect(
      await readClientServers(
        await writeJson(dir.path, "good-client.json", { mcpServers: { good: accepted } }),
      ),
    ).toEqual([{ name: "good", transport: "http", url: accepted.url, headers: {}, enabled: false }]);
    const admin = await viaAdminApi("good", accepted);
    expect(admin.status, admin.text).toBe(201);
    const env = { DATABASE_URL: `file:${join(dir.path, "cli-good.db")}`, WAYGATE_SECRET_KEY: SECRET };
    const add = await runCli(["servers", "add", "good", "--url", accepted.url, "--disabled"], {
      cwd: dir.path,
      env,
    });
    expect(add.code, add.stderr).toBe(0);
  }, 60_000);
});
