import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { firstRunKey, type GatewayProcess, startGateway, waitForOutput } from "./gateway-process.js";
import { tempDir, writeJson } from "./helpers.js";
import { EVERYTHING, runCli } from "./run-cli.js";

// The three bridges with no credentials at all: projects are named, so each fails for want of a credential
// (HOME points at the empty temp dir, so no gcloud application-default credentials are found either).
let dir: { path: string; cleanup: () => Promise<void> };
const started: GatewayProcess[] = [];
beforeEach(async () => {
  dir = await tempDir();
  await writeJson(dir.path, "waygate.json", { mcpServers: { everything: EVERYTHING } });
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((gateway) => gateway.stop("SIGKILL")));
  await dir.cleanup();
});

const SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef";

function bridgeEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    HOME: dir.path,
    WAYGATE_CONFIG: "waygate.json",
    WAYGATE_SECRET_KEY: SECRET,
    MCP_SERVERS_ENABLED: "firebase,bigquery,github,everything",
    MCP_AUTO_INITIALIZE: "true",
    FIREBASE_PROJECT_ID: "demo-waygate",
    GOOGLE_CLOUD_PROJECT: "demo-waygate",
    ...extra,
  };
}

interface ServerStatus {
  name: string;
  kind: string;
  state: string;
  lastError?: { code: string; message: string };
}

interface Finding {
  check: string;
  status: string;
  detail: string;
  fix: string;
}

describe("bridges without credentials", () => {
  it("start as failed with their reason in /mcp/servers, while server-everything keeps serving /mcp", async () => {
    const gateway = await startGateway(dir.path, bridgeEnv());
    started.push(gateway);
    const key = firstRunKey(gateway.stderr());
    await waitForOutput(gateway, "upstreams started");
    expect(gateway.stderr()).toMatch(/firebase: failed \(.*GOOGLE_APPLICATION_CREDENTIALS/);
    expect(gateway.stderr()).toMatch(/bigquery: failed \(.*GOOGLE_APPLICATION_CREDENTIALS/);
    expect(gateway.stderr()).toMatch(/github: failed \(.*GITHUB_TOKEN is not set/);
    expect(gateway.stderr()).toContain("everything: ready");

    const headers = { authorization: `Bearer ${key}` };
    const response = await fetch(`${gateway.url}/mcp/servers`, { headers });
    expect(response.status).toBe(200);
    const { servers } = (await response.json()) as { servers: ServerStatus[] };
    const byName = Object.fromEntries(servers.map((server) => [server.name, server]));
    for (const [name, variable] of [
      ["firebase", "GOOGLE_APPLICATION_CREDENTIALS"],
      ["bigquery", "GOOGLE_APPLICATION_CREDENTIALS"],
      ["github", "GITHUB_TOKEN"],
    ] as const) {
      expect(byName[name]).toMatchObject({
        kind: "plugin",
        state: "failed",
        lastError: { code: "BRIDGE_CREDENTIALS_MISSING", message: expect.stringContaining(variable) },
      });
    }
    expect(byName.everything).toMatchObject({ state: "ready" });

    const client = new Client({ name: "bridges-test", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp`), { requestInit: { headers } }),
    );
    try {
      const result = await client.callTool({
        name: "everything__echo",
        arguments: { message: "bridges down, echo up" },
      });
      expect(JSON.stringify(result.content)).toContain("bridges down, echo up");
      const called = await client.callTool({ name: "github__get_me", arguments: {} }).then(
        (value) => ({ error: undefined, value }),
        (error: unknown) => ({ error: error as Error, value: undefined }),
      );
      // A failed bridge offers no tools: calling one is an error naming the tool, never a hang.
      expect(called.error?.message ?? JSON.stringify(called.value)).toMatch(/github__get_me/);
    } finally {
      await client.close();
    }
    expect(await gateway.stop()).toBe(0);
  });

  it("get a failing waygate doctor row each, naming the missing variable and the fix", async () => {
    await runCli(["keys", "create", "--name", "admin"], { cwd: dir.path, env: bridgeEnv() });
    const run = await runCli(["doctor", "--json", "--timeout", "20000"], { cwd: dir.path, env: bridgeEnv() });
    expect(run.code).toBe(6);
    const { findings } = JSON.parse(run.stdout) as { ok: boolean; findings: Finding[] };
    const row = (check: string) => findings.find((finding) => finding.check === check);
    for (const [name, variable] of [
      ["firebase", "GOOGLE_APPLICATION_CREDENTIALS"],
      ["bigquery", "GOOGLE_APPLICATION_CREDENTIALS"],
      ["github", "GITHUB_TOKEN"],
    ] as const) {
      expect(row(`bridge ${name}`)).toEqual({
        check: `bridge ${name}`,
        status: "fail",
        detail: expect.stringMatching(new RegExp(`^BRIDGE_CREDENTIALS_MISSING: .*${variable}`)),
        fix: `set ${variable} where the gateway runs (see the @waygate/bridge-${name} README)`,
      });
    }
    expect(row("upstream everything")?.status).toBe("ok");
    expect(findings.some((finding) => finding.check === "MCP_SERVERS_ENABLED")).toBe(false);
  });

  it("doctor names the project variable when a bridge has no project", async () => {
    const run = await runCli(["doctor", "--json"], {
      cwd: dir.path,
      env: { HOME: dir.path, MCP_SERVERS_ENABLED: "firebase" },
    });
    expect(run.code).toBe(6);
    const { findings } = JSON.parse(run.stdout) as { findings: Finding[] };
    expect(findings.find((finding) => finding.check === "bridge firebase")).toMatchObject({
      status: "fail",
      detail: expect.stringMatching(/^BRIDGE_CONFIG_INVALID: .*FIREBASE_PROJECT_ID is not set/),
      fix: expect.stringContaining("set FIREBASE_PROJECT_ID"),
    });
  });

  it("takes a bridge's options from the config file, loading it once when MCP_SERVERS_ENABLED names it too", async () => {
    await writeJson(dir.path, "waygate.json", {
      mcpServers: { everything: EVERYTHING },
      plugins: [{ package: "@waygate/bridge-bigquery", options: { project: "from-the-file" } }],
    });
    const env = { HOME: dir.path, WAYGATE_CONFIG: "waygate.json", MCP_SERVERS_ENABLED: "bigquery" };
    const run = await runCli(["doctor", "--json"], { cwd: dir.path, env });
    const { findings } = JSON.parse(run.stdout) as { findings: Finding[] };
    // The project came from the file, so what is missing is the credential.
    expect(findings.filter((finding) => finding.check === "bridge bigquery")).toEqual([
      expect.objectContaining({ detail: expect.stringMatching(/^BRIDGE_CREDENTIALS_MISSING: /) }),
    ]);

    const gateway = await startGateway(dir.path, { ...env, WAYGATE_AUTH: "none" });
    started.push(gateway);
    await waitForOutput(gateway, "upstreams started");
    const { servers } = (await (await fetch(`${gateway.url}/mcp/servers`)).json()) as {
      servers: ServerStatus[];
    };
    expect(servers.map((server) => server.name)).toEqual(["bigquery"]);
    expect(servers[0]?.lastError?.code).toBe("BRIDGE_CREDENTIALS_MISSING");
    expect(await gateway.stop()).toBe(0);
  });

  it("doctor still fails a name that is neither a server nor a bridge", async () => {
    const run = await runCli(["doctor", "--json"], {
      cwd: dir.path,
      env: { HOME: dir.path, MCP_SERVERS_ENABLED: "gitlab" },
    });
    expect(run.code).toBe(6);
    const { findings } = JSON.parse(run.stdout) as { findings: Finding[] };
    expect(findings.find((finding) => finding.check === "MCP_SERVERS_ENABLED")).toMatchObject({
      status: "fail",
      detail: expect.stringContaining('names "gitlab", which is neither a configured server nor a bridge'),
    });
  });

  it("doctor says the bridge's server did not answer when its command cannot start", async () => {
    const credentials = join(dir.path, "service-account.json");
    await writeFile(credentials, "{}");
    const run = await runCli(["doctor", "--json"], {
      cwd: dir.path,
      env: bridgeEnv({
        MCP_SERVERS_ENABLED: "firebase",
        GOOGLE_APPLICATION_CREDENTIALS: credentials,
        FIREBASE_MCP_COMMAND: "waygate-no-such-firebase mcp",
      }),
    });
    expect(run.code).toBe(6);
    const { findings } = JSON.parse(run.stdout) as { findings: Finding[] };
    expect(findings.find((finding) => finding.check === "bridge firebase")).toMatchObject({
      status: "fail",
      detail: expect.stringMatching(/^UPSTREAM_UNAVAILABLE: .*ENOENT/),
      fix: expect.stringContaining("did not answer"),
    });
  });
});

// The project's BigQuery look-alike (same tools as the Toolbox's prebuilt bigquery set), run with tsx.
const BIGQUERY_FIXTURE = [
  process.execPath,
  "--import",
  import.meta.resolve("tsx"),
  fileURLToPath(new URL("../../../fixtures/vendor-bigquery.ts", import.meta.url)),
].join(" ");

describe("a configured bridge", () => {
  it("passes waygate doctor and serves its tools through /mcp, its policy denying a write", async () => {
    const credentials = join(dir.path, "service-account.json");
    await writeFile(credentials, "{}");
    const env = bridgeEnv({
      MCP_SERVERS_ENABLED: "bigquery",
      GOOGLE_APPLICATION_CREDENTIALS: credentials,
      BIGQUERY_MCP_COMMAND: BIGQUERY_FIXTURE,
      WAYGATE_AUTH: "none",
    });
    const run = await runCli(["doctor", "--json", "--timeout", "30000"], { cwd: dir.path, env });
    const { findings } = JSON.parse(run.stdout) as { findings: Finding[] };
    expect(findings.find((finding) => finding.check === "bridge bigquery")).toMatchObject({
      status: "ok",
      detail: expect.stringMatching(/^ready: [1-9]\d* tool\(s\)$/),
    });

    const gateway = await startGateway(dir.path, env);
    started.push(gateway);
    await waitForOutput(gateway, "upstreams started");
    expect(gateway.stderr()).toContain("bigquery: ready");
    const client = new Client({ name: "bridge-test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp`)));
    try {
      const read = await client.callTool({ name: "bigquery__execute_sql", arguments: { sql: "SELECT 1" } });
      expect(read.isError).toBeFalsy();
      expect(JSON.stringify(read.content)).toContain("SELECT 1");
      const write = await client.callTool({
        name: "bigquery__execute_sql",
        arguments: { sql: "DROP TABLE analytics.events" },
      });
      expect(write.isError).toBe(true);
      expect(JSON.stringify(write.content)).toContain("Denied by the 'bigquery' bridge");
    } finally {
      await client.close();
    }
    expect(await gateway.stop()).toBe(0);
  });
});
