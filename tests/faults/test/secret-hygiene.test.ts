import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { apiKeyPrefixOf, createRepositories, openDatabase } from "@waygate/core";
import { afterAll, describe, expect, it } from "vitest";
import { readRows } from "../src/database-reader.js";
import { recordCase } from "../src/fault-table.js";
import { type GatewayProcess, startGatewayProcess, waitFor } from "../src/gateway-process.js";
import { callTool, connectClient, execute } from "../src/mcp-client.js";
import { browser, refresh, revoke, signInOnPage, signInWithApiKey } from "../src/oauth-sign-in.js";
import { faultUpstreamServer } from "../src/paths.js";
import { createWorkspace, SECRET_KEY, type Workspace } from "../src/workspace.js";

let ws: Workspace | undefined;
let gateway: GatewayProcess | undefined;
afterAll(async () => {
  await gateway?.stop("SIGKILL");
  await ws?.cleanup();
});

/** Every place a secret could surface, with the name of the place. */
function findSecrets(haystacks: Record<string, string>, secrets: Record<string, string>): string[] {
  const hits: string[] = [];
  for (const [where, text] of Object.entries(haystacks)) {
    for (const [what, secret] of Object.entries(secrets))
      if (text.includes(secret)) hits.push(`${what} in ${where}`);
  }
  return hits;
}

/** A `${env:NAME}` reference as the config file writes it (built so it is not mistaken for a template). */
const envRef = (name: string) => `\${env:${name}}`;

describe("secret hygiene", () => {
  it("after calls, failures, crashes, key changes and scrapes, no key or upstream token is in logs, audit, events, metrics or the database files", async () => {
    ws = await createWorkspace();
    const upstreamToken = `upstream-token-${randomBytes(12).toString("hex")}`;
    const remoteToken = `remote-token-${randomBytes(12).toString("hex")}`;
    const adminHeaderToken = `admin-header-token-${randomBytes(12).toString("hex")}`;
    const adminEnvToken = `admin-env-token-${randomBytes(12).toString("hex")}`;
    const sealedUpstream = faultUpstreamServer({ FAULT_TOKEN: adminEnvToken });
    await ws.writeConfig({
      gateway: { logLevel: "debug", timeouts: { toolCallMs: 2_000 } },
      mcpServers: {
        tokened: faultUpstreamServer({ FAULT_TOKEN: envRef("UPSTREAM_TOKEN") }),
        // Nothing listens on port 1: the failed connection is logged and recorded, with its header set.
        remote: {
          url: "http://127.0.0.1:1/mcp",
          headers: { Authorization: `Bearer ${envRef("REMOTE_TOKEN")}` },
        },
      },
      // Loopback is refused unless allowed: allowed here so the upstream fails on the connect, as a real one would.
      egress: { allow: ["127.0.0.1/32"] },
      // The admin API may add this stdio server; its env (with a token) is then stored in mcp_servers.
      stdioAllowlist: [sealedUpstream],
    });
    gateway = await startGatewayProcess({
      cwd: ws.dir,
      env: {
        DATABASE_URL: ws.databaseUrl,
        WAYGATE_SECRET_KEY: SECRET_KEY,
        WAYGATE_CONFIG: "waygate.json",
        UPSTREAM_TOKEN: upstreamToken,
        REMOTE_TOKEN: remoteToken,
      },
    });
    const url = gateway.url;
    const { admin, caller } = ws.keys;
    await waitFor("the gateway to be ready", async () =>
      (await fetch(`${url}/ready`)).status === 200 ? true : undefined,
    );

    // Calls over MCP and REST, with secrets in the arguments under telling and innocent names.
    const client = await connectClient(url, caller);
    // The upstream really received the token (so finding none of it below means something).
    const tokenLength = await callTool(client, "tokened__env_length", { name: "FAULT_TOKEN" });
    expect(tokenLength.text).toBe(String(upstreamToken.length));
    expect((await callTool(client, "tokened__echo", { text: "hello", token: upstreamToken })).isError).toBe(
      false,
    );
    await callTool(client, "tokened__echo", { text: `key ${caller}` });
    await callTool(client, "tokened__hang");
    await callTool(client, "tokened__die");
    await client.close();
    await execute(url, caller, "tokened__echo", { text: "rest", apiKey: caller, password: remoteToken });
    await execute(url, caller, "remote__anything", { authorization: `Bearer ${admin}` });
    await fetch(`${url}/mcp/execute`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": caller },
      body: JSON.stringify({ tool: "tokened__pid", arguments: {} }),
    });
    // Refusals: a near-miss of a real key, a revoked key, a key without the scope.
    const nearMiss = `${caller.slice(0, -1)}${caller.endsWith("A") ? "B" : "A"}`;
    expect((await execute(url, nearMiss, "tokened__echo", { text: "x" })).status).toBe(401);
    const created = (await (
      await fetch(`${url}/admin/keys`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${admin}` },
        body: JSON.stringify({ name: "short-lived", scopes: ["tools:list"] }),
      })
    ).json()) as { key: { id: string }; plaintext: string };
    const createdKey = created.plaintext;
    expect(createdKey).toMatch(/^wg_/);
    expect((await execute(url, createdKey, "tokened__echo", { text: "x" })).status).toBe(403);
    const revoked = await fetch(`${url}/admin/keys/${created.key.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(revoked.status).toBe(200);
    const afterRevoke = await execute(url, createdKey, "tokened__echo", { text: "x" });
    expect(afterRevoke.status).toBe(401);

    // Upstreams added through the admin API with a secret header and a secret env value: stored encrypted.
    const adminJson = { "content-type": "application/json", authorization: `Bearer ${admin}` };
    const addServer = (body: object) =>
      fetch(`${url}/admin/servers`, { method: "POST", headers: adminJson, body: JSON.stringify(body) });
    const vault = await addServer({
      name: "vault",
      url: "http://127.0.0.1:1/mcp",
      headers: { "X-Vault-Token": adminHeaderToken },
    });
    expect(vault.status).toBe(201);
    expect((await addServer({ name: "sealed", ...sealedUpstream })).status).toBe(201);
    // Positive control: the stored env really reached the upstream it started.
    const sealedClient = await connectClient(url, caller);
    expect((await callTool(sealedClient, "sealed__env_length", { name: "FAULT_TOKEN" })).text).toBe(
      String(adminEnvToken.length),
    );
    await sealedClient.close();
    // While the gateway runs the newest rows are in the WAL; read it before shutdown checkpoints it away.
    const whileRunning: Record<string, string> = {};
    for (const file of await readdir(ws.dir)) {
      if (file.startsWith("waygate.db"))
        whileRunning[`file ${file} (running)`] = (await readFile(join(ws.dir, file))).toString("latin1");
    }
    const runningFiles = Object.entries(whileRunning);
    expect(runningFiles.map(([name]) => name)).toContain("file waygate.db-wal (running)");
    // Positive control: the admin-added rows are in these bytes (names are stored in clear), only the values are not.
    expect(runningFiles.some(([, bytes]) => bytes.includes("X-Vault-Token"))).toBe(true);
    const metrics = await (
      await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${admin}` } })
    ).text();
    expect(metrics).toContain("waygate_tool_calls_total");
    const status = await (
      await fetch(`${url}/mcp/status`, { headers: { authorization: `Bearer ${admin}` } })
    ).text();
    await fetch(`${url}/diagnostics/connection`, { headers: { authorization: `Bearer ${admin}` } });
    expect((await gateway.stop("SIGTERM")).code).toBe(0);

    const tables = ["command_history", "system_events", "metrics", "plugins", "mcp_servers", "config"];
    const haystacks: Record<string, string> = {
      ...whileRunning,
      "gateway log": gateway.output(),
      "/metrics": metrics,
      "/mcp/status": status,
    };
    // Only tables this run wrote are claimed as scanned: an empty table proves nothing.
    const scanned: string[] = [];
    for (const table of tables) {
      const rows = await readRows(ws.databaseUrl, `SELECT * FROM ${table}`);
      if (rows.length === 0) continue;
      scanned.push(table);
      haystacks[`table ${table}`] = JSON.stringify(rows);
    }
    // Positive controls: the tables that hold this run's calls, events and stored upstream secrets have rows, and the
    // admin-added servers' secrets are in mcp_servers (sealed values beside header and variable names in clear).
    expect(scanned).toEqual(expect.arrayContaining(["command_history", "system_events", "mcp_servers"]));
    const sealedRows = await readRows(
      ws.databaseUrl,
      "SELECT name, env, headers, secrets_key_id FROM mcp_servers WHERE name IN ('vault', 'sealed') ORDER BY name",
    );
    expect(sealedRows.map((row) => row.name)).toEqual(["sealed", "vault"]);
    expect(String(sealedRows[0]?.env)).toContain("FAULT_TOKEN");
    expect(String(sealedRows[1]?.headers)).toContain("X-Vault-Token");
    for (const row of sealedRows) expect(row.secrets_key_id).not.toBeNull();
    for (const file of await readdir(ws.dir)) {
      if (file.startsWith("waygate.db"))
        haystacks[`file ${file}`] = (await readFile(join(ws.dir, file))).toString("latin1");
    }
    // The random part follows `wg_<lookup>_`; it is base64url, so it may itself contain "_" (and could end in one).
    const secretPart = (key: string) => {
      const prefix = apiKeyPrefixOf(key);
      if (!prefix) throw new Error(`not a Waygate key: ${key.slice(0, 6)}…`);
      return key.slice(prefix.length + 1);
    };
    const secrets = {
      "admin key": admin,
      "caller key": caller,
      "created key": createdKey,
      "admin key secret part": secretPart(admin),
      "caller key secret part": secretPart(caller),
      "near-miss key": nearMiss,
      "upstream env token": upstreamToken,
      "remote header token": remoteToken,
      "admin-added header token": adminHeaderToken,
      "admin-added env token": adminEnvToken,
      WAYGATE_SECRET_KEY: SECRET_KEY,
    };
    const hits = findSecrets(haystacks, secrets);
    const rows = await readRows(ws.databaseUrl, "SELECT count(*) AS n FROM command_history");
    recordCase({
      case: "secret hygiene after a full run",
      expected: "0 hits for keys and tokens",
      observed: `${Object.keys(secrets).length} secrets x ${Object.keys(haystacks).length} places (tables with rows: ${scanned.join(", ")}; ${gateway.output().split("\n").length} log lines, ${rows[0]?.n} audit rows): ${hits.length} hits${hits.length ? `: ${hits.join("; ")}` : ""}`,
    });
    expect(hits).toEqual([]);
  });

  it("after sign-ins, refreshes and revocations at the built-in authorization server, no code, verifier or token is in logs, metrics, status or the database files", async () => {
    const oauthWs = await createWorkspace();
    // The public URL is the gateway's own loopback URL, so the port is chosen before it starts.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const base = `http://127.0.0.1:${port}`;
    await oauthWs.writeConfig({
      gateway: { logLevel: "debug", oauth: { builtin: {}, publicUrl: base } },
      mcpServers: { tokened: faultUpstreamServer({}) },
    });
    const oauthGateway = await startGatewayProcess({
      cwd: oauthWs.dir,
      env: {
        DATABASE_URL: oauthWs.databaseUrl,
        WAYGATE_SECRET_KEY: SECRET_KEY,
        WAYGATE_CONFIG: "waygate.json",
        WAYGATE_PORT: String(port),
      },
    });
    try {
      const { caller } = oauthWs.keys;
      const first = await signInWithApiKey(base, caller);
      // Positive control: the token works.
      const client = await connectClient(base, first.accessToken);
      expect((await callTool(client, "tokened__echo", { text: "signed in" })).isError).toBe(false);
      await client.close();
      const second = await refresh(base, first.clientId, first.refreshToken);
      const other = await signInWithApiKey(base, caller);
      expect(await revoke(base, other.clientId, other.refreshToken)).toBe(200);
      const whileRunning: Record<string, string> = {};
      for (const file of await readdir(oauthWs.dir)) {
        if (file.startsWith("waygate.db"))
          whileRunning[`file ${file} (running)`] = (await readFile(join(oauthWs.dir, file))).toString(
            "latin1",
          );
      }
      // Positive control: the sign-ins were written (the table's rows are in these bytes).
      expect(Object.values(whileRunning).some((bytes) => bytes.includes("RefreshToken"))).toBe(true);
      const metrics = await (
        await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${oauthWs.keys.admin}` } })
      ).text();
      const status = await (
        await fetch(`${base}/mcp/status`, { headers: { authorization: `Bearer ${second.accessToken}` } })
      ).text();
      expect((await oauthGateway.stop("SIGTERM")).code).toBe(0);
      const haystacks: Record<string, string> = {
        ...whileRunning,
        "gateway log": oauthGateway.output(),
        "/metrics": metrics,
        "/mcp/status": status,
        "table oauth_store": JSON.stringify(await readRows(oauthWs.databaseUrl, "SELECT * FROM oauth_store")),
        "table command_history": JSON.stringify(
          await readRows(oauthWs.databaseUrl, "SELECT * FROM command_history"),
        ),
      };
      for (const file of await readdir(oauthWs.dir)) {
        if (file.startsWith("waygate.db"))
          haystacks[`file ${file}`] = (await readFile(join(oauthWs.dir, file))).toString("latin1");
      }
      const secrets: Record<string, string> = {
        "API key signed in with": caller,
        "authorization code": first.code,
        "PKCE verifier": first.verifier,
        "access token": first.accessToken,
        "refresh token": first.refreshToken,
        "refreshed access token": second.accessToken,
        "rotated refresh token": second.refreshToken,
        "revoked refresh token": other.refreshToken,
        WAYGATE_SECRET_KEY: SECRET_KEY,
      };
      for (const [what, value] of Object.entries(secrets)) expect(value.length, what).toBeGreaterThan(20);
      const hits = findSecrets(haystacks, secrets);
      recordCase({
        case: "secret hygiene of the built-in authorization server",
        expected: "0 hits for codes, verifiers and tokens",
        observed: `${Object.keys(secrets).length} secrets x ${Object.keys(haystacks).length} places: ${hits.length} hits${hits.length ? `: ${hits.join("; ")}` : ""}`,
      });
      expect(hits).toEqual([]);
    } finally {
      await oauthGateway.stop("SIGKILL");
      await oauthWs.cleanup();
    }
  });

  it("after per-user upstream sign-ins, refreshes and revocations, no upstream code, token or sign-in link is in logs, metrics, status, audit or the database files", async () => {
    // The upstream is a second gateway with the built-in authorization server; the front gateway signs its caller in
    // there by authorization code + PKCE (a scripted browser enters the upstream's API key), and refreshes per call.
    const upWs = await createWorkspace();
    const frontWs = await createWorkspace();
    const upPort = await freePort();
    const frontPort = await freePort();
    const upBase = `http://127.0.0.1:${upPort}`;
    const frontBase = `http://127.0.0.1:${frontPort}`;
    await upWs.writeConfig({
      gateway: { oauth: { builtin: {}, publicUrl: upBase } },
      mcpServers: { tokened: faultUpstreamServer({}) },
    });
    const up = await startGatewayProcess({
      cwd: upWs.dir,
      env: {
        DATABASE_URL: upWs.databaseUrl,
        WAYGATE_SECRET_KEY: SECRET_KEY,
        WAYGATE_CONFIG: "waygate.json",
        WAYGATE_PORT: String(upPort),
      },
    });
    let front: GatewayProcess | undefined;
    try {
      // The front gateway's client at the upstream's authorization server, registered beforehand.
      const registered = await fetch(`${upBase}/oauth/reg`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          redirect_uris: [`${frontBase}/oauth/upstream/callback`],
          token_endpoint_auth_method: "none",
          grant_types: ["authorization_code", "refresh_token"],
          response_types: ["code"],
        }),
      });
      const clientId = String(((await registered.json()) as { client_id?: string }).client_id);
      await frontWs.writeConfig({
        gateway: {
          logLevel: "debug",
          upstreamOAuth: {
            up: {
              authorizationCode: {
                clientId,
                publicUrl: frontBase,
                scope: "waygate:tools:list waygate:tools:call",
                refreshBeforeExpirySeconds: 3_600,
              },
            },
          },
        },
        mcpServers: { up: { url: `${upBase}/mcp` } },
        egress: { allow: ["127.0.0.1/32"] },
      });
      front = await startGatewayProcess({
        cwd: frontWs.dir,
        env: {
          DATABASE_URL: frontWs.databaseUrl,
          WAYGATE_SECRET_KEY: SECRET_KEY,
          WAYGATE_CONFIG: "waygate.json",
          WAYGATE_PORT: String(frontPort),
        },
      });
      const client = await connectClient(frontBase, frontWs.keys.caller);
      const refused = (await client.callTool({ name: "up__waygate_sign_in", arguments: {} })) as {
        _meta?: { "waygate/signIn"?: { url: string } };
      };
      const link = String(refused._meta?.["waygate/signIn"]?.url);
      expect(link).toContain("/oauth/upstream/start/");
      const upstreamCode = await signInThroughLink(link, upWs.keys.caller, upBase, frontBase);
      const repos = createRepositories(await openDatabase({ url: frontWs.databaseUrl }), {
        secretKey: SECRET_KEY,
      });
      const principal = (await repos.upstreamUserTokens.list())[0]?.principal ?? "";
      const first = await repos.upstreamUserTokens.get("up", principal);
      // Positive control: the calls reach the upstream with the principal's token (refreshed before each).
      expect((await callTool(client, "up__tokened__echo", { text: "as me" })).text).toBe("as me");
      expect((await callTool(client, "up__tokened__echo", { text: "again" })).text).toBe("again");
      const second = await repos.upstreamUserTokens.get("up", principal);
      expect(second?.access_token).not.toBe(first?.access_token);
      const status = await (
        await fetch(`${frontBase}/mcp/status`, { headers: { authorization: `Bearer ${frontWs.keys.admin}` } })
      ).text();
      const listed = await (
        await fetch(`${frontBase}/admin/upstream-tokens`, {
          headers: { authorization: `Bearer ${frontWs.keys.admin}` },
        })
      ).text();
      expect(listed).toContain(principal);
      const metrics = await (
        await fetch(`${frontBase}/metrics`, { headers: { authorization: `Bearer ${frontWs.keys.admin}` } })
      ).text();
      const whileRunning: Record<string, string> = {};
      for (const file of await readdir(frontWs.dir)) {
        if (file.startsWith("waygate.db"))
          whileRunning[`file ${file} (running)`] = (await readFile(join(frontWs.dir, file))).toString(
            "latin1",
          );
      }
      // Positive control: the token rows were written (the principal is stored in clear beside the sealed tokens).
      expect(Object.values(whileRunning).some((bytes) => bytes.includes(principal))).toBe(true);
      const revoked = await fetch(`${frontBase}/oauth/upstream/tokens/up`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${frontWs.keys.caller}` },
      });
      expect(revoked.status).toBe(200);
      expect((await callTool(client, "up__tokened__echo", { text: "revoked" })).isError).toBe(true);
      await client.close();
      expect((await front.stop("SIGTERM")).code).toBe(0);
      const haystacks: Record<string, string> = {
        ...whileRunning,
        "gateway log": front.output(),
        "/metrics": metrics,
        "/mcp/status": status,
        "/admin/upstream-tokens": listed,
        "table command_history": JSON.stringify(
          await readRows(frontWs.databaseUrl, "SELECT * FROM command_history"),
        ),
        "table system_events": JSON.stringify(
          await readRows(frontWs.databaseUrl, "SELECT * FROM system_events"),
        ),
      };
      for (const file of await readdir(frontWs.dir)) {
        if (file.startsWith("waygate.db"))
          haystacks[`file ${file}`] = (await readFile(join(frontWs.dir, file))).toString("latin1");
      }
      const secrets: Record<string, string> = {
        "upstream authorization code": upstreamCode,
        "sign-in link id": link.slice(link.lastIndexOf("/") + 1),
        "access token": String(first?.access_token),
        "refresh token": String(first?.refresh_token),
        "refreshed access token": String(second?.access_token),
        "rotated refresh token": String(second?.refresh_token),
        WAYGATE_SECRET_KEY: SECRET_KEY,
      };
      for (const [what, value] of Object.entries(secrets)) expect(value.length, what).toBeGreaterThan(20);
      const hits = findSecrets(haystacks, secrets);
      recordCase({
        case: "secret hygiene of per-user upstream tokens",
        expected: "0 hits for upstream codes, tokens and sign-in links",
        observed: `${Object.keys(secrets).length} secrets x ${Object.keys(haystacks).length} places: ${hits.length} hits${hits.length ? `: ${hits.join("; ")}` : ""}`,
      });
      expect(hits).toEqual([]);
    } finally {
      await front?.stop("SIGKILL");
      await up.stop("SIGKILL");
      await frontWs.cleanup();
      await upWs.cleanup();
    }
  });
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * A person's browser: opens the sign-in link, signs in at the upstream's built-in authorization server with that
 * server's API key, and follows the redirect back to the front gateway's callback. Returns the upstream's code.
 */
async function signInThroughLink(
  link: string,
  apiKey: string,
  upBase: string,
  frontBase: string,
): Promise<string> {
  const hop = browser();
  const callback = await signInOnPage(hop, link, apiKey, upBase, (url) =>
    url.startsWith(`${frontBase}/oauth/upstream/callback`),
  );
  if (!callback) throw new Error("the sign-in did not come back to the front gateway");
  const response = await hop(callback);
  if (response.status !== 200) {
    throw new Error(`the callback refused the sign-in: HTTP ${response.status} ${await response.text()}`);
  }
  return new URL(callback).searchParams.get("code") ?? "";
}
