import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createRepositories, openDatabase } from "@waygate/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { firstRunKey, type GatewayProcess, startGateway, waitForOutput } from "./gateway-process.js";
import { tempDir, writeJson } from "./helpers.js";
import { EVERYTHING, runCli } from "./run-cli.js";

let dir: { path: string; cleanup: () => Promise<void> };
const started: GatewayProcess[] = [];
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((gateway) => gateway.stop("SIGKILL")));
  await dir.cleanup();
});

async function start(env: Record<string, string> = {}): Promise<GatewayProcess> {
  const gateway = await startGateway(dir.path, env);
  started.push(gateway);
  return gateway;
}

const SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef";

describe("waygate start", () => {
  it("creates an admin key on the first run in development, prints it once, and serves /health", async () => {
    const first = await start();
    const key = firstRunKey(first.stderr());
    expect(key).toMatch(/^wg_/);
    const health = await fetch(`${first.url}/health`);
    expect(health.status).toBe(200);
    // Outside production the web console is on, and the start line says where.
    expect(first.stderr()).toContain(`console ${first.url}/console/`);
    const consolePage = await fetch(`${first.url}/console/`);
    expect(consolePage.status).toBe(200);
    expect(consolePage.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(await first.stop()).toBe(0);
    expect(first.stderr()).toContain("stopped");

    const second = await start();
    expect(second.stderr()).not.toContain("First run");
    expect(await second.stop()).toBe(0);
    const secret = await readFile(join(dir.path, "data", "waygate.secret"), "utf8");
    expect(secret.trim()).toHaveLength(64);
  });

  it("lets an MCP SDK client call a server-everything tool with the key, refuses it without, and audits the call", async () => {
    await writeJson(dir.path, "waygate.json", { mcpServers: { everything: EVERYTHING } });
    const gateway = await start({ WAYGATE_CONFIG: "waygate.json", WAYGATE_SECRET_KEY: SECRET });
    const key = firstRunKey(gateway.stderr());
    expect(key).toBeDefined();
    await waitForOutput(gateway, "upstreams started");

    const anonymous = await fetch(`${gateway.url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(anonymous.status).toBe(401);

    const client = new Client({ name: "gateway-test", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${key}` } },
      }),
    );
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain("everything__echo");
    const result = await client.callTool({
      name: "everything__echo",
      arguments: { message: "through waygate" },
    });
    expect(JSON.stringify(result.content)).toContain("through waygate");
    await client.close();
    expect(await gateway.stop()).toBe(0);

    const db = await openDatabase({ url: `file:${join(dir.path, "data", "waygate.db")}` });
    try {
      const repos = createRepositories(db, { secretKey: SECRET });
      const history = await repos.commandHistory.query({});
      const calls = history.items.filter((item) => item.tool?.endsWith("echo"));
      expect(calls).toEqual([
        expect.objectContaining({ server: "everything", outcome: "ok", transport: "mcp" }),
      ]);
      const events = await repos.systemEvents.list({ type: "gateway.stopped" });
      expect(events.items).toHaveLength(1);
    } finally {
      db.close();
    }
  });

  it("refuses to start in production without WAYGATE_SECRET_KEY, exiting 3 before binding a port", async () => {
    const run = await runCli(["start"], { cwd: dir.path, env: { WAYGATE_ENV: "production" } });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("WAYGATE_SECRET_KEY: is required when WAYGATE_ENV=production");
    expect(run.stderr).not.toContain("listening");
  });

  it("refuses to start in production without an active key, and starts once one exists", async () => {
    const env = { WAYGATE_ENV: "production", WAYGATE_SECRET_KEY: SECRET };
    const refused = await runCli(["start"], { cwd: dir.path, env });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("production needs at least one active API key");
    expect(refused.stderr).not.toContain("listening");

    expect(
      (await runCli(["keys", "create", "--name", "admin", "--scopes", "admin"], { cwd: dir.path, env })).code,
    ).toBe(0);
    const gateway = await start(env);
    expect(gateway.stderr()).not.toContain("First run");
    expect(await gateway.stop()).toBe(0);
  });

  it("exits 3 listing every configuration error before binding a port", async () => {
    await writeJson(dir.path, "waygate.json", { mcpServers: { broken: { args: ["no command"] } } });
    const run = await runCli(["start"], {
      cwd: dir.path,
      env: { WAYGATE_CONFIG: "waygate.json", WAYGATE_AUTH: "maybe" },
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("WAYGATE_AUTH");
    expect(run.stderr).not.toContain("listening");
  });

  it("exits 3 when MCP_SERVERS_ENABLED names a server that is not configured", async () => {
    const run = await runCli(["start"], { cwd: dir.path, env: { MCP_SERVERS_ENABLED: "nosuchserver" } });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('names "nosuchserver", which is neither a configured server nor a bridge');
  });

  it("exits 1 with the port in the message when the port is taken", async () => {
    const first = await start({ WAYGATE_AUTH: "none" });
    const port = new URL(first.url).port;
    const run = await runCli(["start"], { cwd: dir.path, env: { WAYGATE_AUTH: "none", WAYGATE_PORT: port } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot listen on 127.0.0.1:${port} (EADDRINUSE)`);
  });

  it("resolves ${env:NAME} in a stored server when it starts, keeping the reference in the database", async () => {
    const add = await runCli(
      [
        "servers",
        "add",
        "everything",
        "-e",
        "GREETING=${env:TEST_GREETING}",
        "--",
        EVERYTHING.command,
        ...EVERYTHING.args,
      ],
      { cwd: dir.path, env: { WAYGATE_SECRET_KEY: SECRET } },
    );
    expect(add.code).toBe(0);
    const gateway = await start({
      WAYGATE_AUTH: "none",
      WAYGATE_SECRET_KEY: SECRET,
      TEST_GREETING: "ahoy-from-env",
    });
    await waitForOutput(gateway, "upstreams started");
    const client = new Client({ name: "env-test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp`)));
    const result = await client.callTool({ name: "everything__get-env", arguments: {} });
    expect(JSON.stringify(result.content)).toContain("ahoy-from-env");
    await client.close();
    expect(await gateway.stop()).toBe(0);

    const db = await openDatabase({ url: `file:${join(dir.path, "data", "waygate.db")}` });
    try {
      const stored = await createRepositories(db, { secretKey: SECRET }).mcpServers.get("everything");
      expect(stored?.config).toMatchObject({ env: { GREETING: "${env:TEST_GREETING}" } });
    } finally {
      db.close();
    }
  });

  it("starts with a stored server whose ${env:NAME} is not set marked failed, naming the variable", async () => {
    await runCli(["servers", "add", "gh", "-e", "TOKEN=${env:UNSET_TOKEN}", "--", "gh-mcp"], {
      cwd: dir.path,
    });
    const gateway = await start({ WAYGATE_AUTH: "none" });
    await waitForOutput(gateway, "upstreams started");
    expect(gateway.stderr()).toMatch(/gh: failed \(.*environment variable UNSET_TOKEN, which is not set/);
    const ready = (await (await fetch(`${gateway.url}/ready`)).json()) as { servers: unknown[] };
    expect(ready.servers).toEqual([{ name: "gh", state: "failed" }]);
    expect(await gateway.stop()).toBe(0);
  });

  it("with MCP_SERVERS_ENABLED and ${env:NAME} references, a selected server enabled by another process starts, an unselected one does not, and DELETE removes a stored one", async () => {
    const add = (name: string) =>
      runCli(
        [
          "servers",
          "add",
          name,
          "-e",
          "GREETING=${env:TEST_GREETING}",
          "--",
          EVERYTHING.command,
          ...EVERYTHING.args,
        ],
        {
          cwd: dir.path,
          env: { WAYGATE_SECRET_KEY: SECRET },
        },
      );
    expect((await add("first")).code).toBe(0);
    expect((await add("later")).code).toBe(0);
    const cli = (args: string[]) => runCli(args, { cwd: dir.path, env: { WAYGATE_SECRET_KEY: SECRET } });
    expect((await cli(["servers", "disable", "later"])).code).toBe(0);
    const gateway = await start({
      WAYGATE_AUTH: "none",
      WAYGATE_SECRET_KEY: SECRET,
      TEST_GREETING: "hello-replica",
      MCP_SERVERS_ENABLED: "first,later",
    });
    await waitForOutput(gateway, "upstreams started");
    // Another process enables `later` and stores `unselected`: the sync starts the first within serverSyncMs.
    expect((await cli(["servers", "enable", "later"])).code).toBe(0);
    expect((await add("unselected")).code).toBe(0);
    const client = new Client({ name: "sync-test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp`)));
    let names: string[] = [];
    for (let attempt = 0; attempt < 200 && !names.includes("later__get-env"); attempt++) {
      names = (await client.listTools()).tools.map((tool) => tool.name);
      if (!names.includes("later__get-env")) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(names).toContain("later__get-env");
    expect(names.some((name) => name.startsWith("unselected__"))).toBe(false);
    const result = await client.callTool({ name: "later__get-env", arguments: {} });
    expect(JSON.stringify(result.content)).toContain("hello-replica");
    await client.close();

    const removed = await fetch(`${gateway.url}/admin/servers/first`, { method: "DELETE" });
    expect(removed.status).toBe(200);
    expect(await gateway.stop()).toBe(0);
  });

  it("servers list shows the live state of a running gateway, and after it stops the last recorded state with its time", async () => {
    const cli = (args: string[], env: Record<string, string> = {}) =>
      runCli(args, { cwd: dir.path, env: { WAYGATE_SECRET_KEY: SECRET, ...env } });
    expect(
      (await cli(["servers", "add", "everything", "--", EVERYTHING.command, ...EVERYTHING.args])).code,
    ).toBe(0);
    expect((await cli(["servers", "add", "broken", "--", "waygate-no-such-command-xyz"])).code).toBe(0);
    expect((await cli(["servers", "add", "off", "--disabled", "--", "x"])).code).toBe(0);
    const gateway = await start({ WAYGATE_AUTH: "none", WAYGATE_SECRET_KEY: SECRET });
    await waitForOutput(gateway, "upstreams started");

    const live = await cli(["servers", "list", "--json", "--url", gateway.url]);
    expect(live.code).toBe(0);
    expect(live.stderr).toContain(`status: live from the gateway at ${gateway.url}`);
    const liveRows = JSON.parse(live.stdout) as Record<string, unknown>[];
    expect(liveRows).toEqual([
      expect.objectContaining({
        name: "broken",
        status: "failed",
        statusSource: "live",
        lastError: expect.any(String),
      }),
      expect.objectContaining({ name: "everything", status: "ready", statusSource: "live" }),
      expect.objectContaining({ name: "off", status: "disabled", statusSource: "live" }),
    ]);
    expect(await gateway.stop()).toBe(0);

    // No gateway now: the states it recorded, with their time.
    const recorded = await cli(["servers", "list", "--json", "--url", gateway.url]);
    expect(recorded.stderr).toContain("showing the last state a gateway recorded");
    const rows = JSON.parse(recorded.stdout) as Record<string, unknown>[];
    expect(rows).toEqual([
      expect.objectContaining({
        name: "broken",
        status: "error",
        statusSource: "recorded",
        lastError: expect.stringContaining("waygate-no-such-command-xyz"),
      }),
      expect.objectContaining({ name: "everything", status: "connected", statusSource: "recorded" }),
      expect.objectContaining({ name: "off", status: "disabled", statusSource: "recorded" }),
    ]);
    expect(Number.isNaN(Date.parse(String(rows[1]?.statusAt)))).toBe(false);
    const table = await cli(["servers", "list", "--url", gateway.url]);
    expect(table.stdout).toMatch(/everything .* connected \(recorded \d{4}-\d\d-\d\dT/);
  });

  it("starts only the servers MCP_SERVERS_ENABLED names", async () => {
    await writeJson(dir.path, "waygate.json", {
      mcpServers: { everything: EVERYTHING, broken: { command: "waygate-no-such-command-xyz" } },
    });
    const gateway = await start({
      WAYGATE_CONFIG: "waygate.json",
      WAYGATE_AUTH: "none",
      MCP_SERVERS_ENABLED: "everything",
    });
    await waitForOutput(gateway, "starting 1 plugin(s) and upstream(s): everything…");
    await waitForOutput(gateway, "upstreams started");
    const ready = (await (await fetch(`${gateway.url}/ready`)).json()) as { servers: { name: string }[] };
    expect(ready.servers.map((server) => server.name)).toEqual(["everything"]);
    expect(await gateway.stop()).toBe(0);
  });

  it("loads the GitHub bridge for MCP_SERVERS_ENABLED=github and keeps serving when it lacks a token", async () => {
    const gateway = await start({ WAYGATE_AUTH: "none", MCP_SERVERS_ENABLED: "github" });
    await waitForOutput(gateway, "upstreams started");
    const ready = (await (await fetch(`${gateway.url}/ready`)).json()) as { servers: { name: string }[] };
    expect(ready.servers.map((server) => server.name)).toEqual(["github"]);
    expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
    expect(gateway.stdout()).toContain("GITHUB_TOKEN is not set");
    expect(await gateway.stop()).toBe(0);
  });

  it("with MCP_AUTO_INITIALIZE=false prints nothing about upstreams but still starts them with the gateway", async () => {
    await writeJson(dir.path, "waygate.json", { mcpServers: { everything: EVERYTHING } });
    const gateway = await start({
      WAYGATE_CONFIG: "waygate.json",
      WAYGATE_AUTH: "none",
      MCP_AUTO_INITIALIZE: "false",
    });
    let ready = { ready: false, servers: [] as { name: string; state: string }[] };
    for (let attempt = 0; attempt < 200 && !ready.ready; attempt++) {
      ready = (await (await fetch(`${gateway.url}/ready`)).json()) as typeof ready;
      if (!ready.ready) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(ready.servers).toEqual([{ name: "everything", state: "ready" }]);
    expect(gateway.stderr()).not.toContain("starting 1 plugin(s)");
    expect(gateway.stderr()).not.toContain("upstreams started");
    expect(await gateway.stop()).toBe(0);
  });

  it("passes the config file's server settings through: open /metrics needs no key", async () => {
    const closed = await start();
    expect((await fetch(`${closed.url}/metrics`)).status).toBe(401);
    expect(await closed.stop()).toBe(0);

    await writeJson(dir.path, "waygate.json", {
      gateway: { metrics: "open", timeouts: { shutdownMs: 2000 } },
    });
    const open = await start({ WAYGATE_CONFIG: "waygate.json" });
    const metrics = await fetch(`${open.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain("# HELP");
    expect(await open.stop()).toBe(0);
  });

  it("serves OAuth metadata and challenges from gateway.oauth, and none without it", async () => {
    const plain = await start();
    expect((await fetch(`${plain.url}/.well-known/oauth-protected-resource`)).status).toBe(404);
    expect((await fetch(`${plain.url}/mcp/tools`)).headers.get("www-authenticate")).toBeNull();
    expect(await plain.stop()).toBe(0);

    // The issuer is only named: nothing contacts it until a token arrives.
    await writeJson(dir.path, "waygate.json", {
      gateway: {
        oauth: { issuer: "https://sso.example.test/realms/waygate", publicUrl: "https://mcp.example.test" },
      },
    });
    const oauth = await start({ WAYGATE_CONFIG: "waygate.json" });
    const metadata = await fetch(`${oauth.url}/.well-known/oauth-protected-resource/mcp`);
    expect(await metadata.json()).toMatchObject({
      resource: "https://mcp.example.test/mcp",
      authorization_servers: ["https://sso.example.test/realms/waygate"],
    });
    const refused = await fetch(`${oauth.url}/mcp/tools`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toContain(
      'resource_metadata="https://mcp.example.test/.well-known/oauth-protected-resource"',
    );
    expect(await oauth.stop()).toBe(0);
  });

  it("runs the built-in authorization server from gateway.oauth.builtin: its metadata, and the resource names it", async () => {
    await writeJson(dir.path, "waygate.json", {
      gateway: { oauth: { builtin: {}, publicUrl: "https://mcp.example.test" } },
    });
    const oauth = await start({ WAYGATE_CONFIG: "waygate.json" });
    const resource = await fetch(`${oauth.url}/.well-known/oauth-protected-resource/mcp`);
    expect(await resource.json()).toMatchObject({
      authorization_servers: ["https://mcp.example.test/oauth"],
    });
    const metadata = await fetch(`${oauth.url}/.well-known/oauth-authorization-server/oauth`);
    expect(await metadata.json()).toMatchObject({
      issuer: "https://mcp.example.test/oauth",
      registration_endpoint: "https://mcp.example.test/oauth/reg",
      code_challenge_methods_supported: ["S256"],
    });
    expect(await oauth.stop()).toBe(0);
  });

  it("reports each upstream's state after start and keeps serving the healthy ones when one fails", async () => {
    await writeJson(dir.path, "waygate.json", {
      mcpServers: { everything: EVERYTHING, broken: { command: "waygate-no-such-command-xyz" } },
    });
    const gateway = await start({ WAYGATE_CONFIG: "waygate.json", WAYGATE_AUTH: "none" });
    await waitForOutput(gateway, "upstreams started");
    await waitForOutput(gateway, "broken: failed");
    expect(gateway.stderr()).toContain("everything: ready");
    expect(gateway.stderr()).toMatch(/broken: failed \(.*ENOENT/);
    const client = new Client({ name: "fail-open", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp`)));
    const result = await client.callTool({ name: "everything__echo", arguments: { message: "still here" } });
    expect(JSON.stringify(result.content)).toContain("still here");
    await client.close();
    expect(await gateway.stop()).toBe(0);
  });
});
