import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type GatewayProcess, startGateway, waitForOutput } from "./gateway-process.js";
import { tempDir, writeJson } from "./helpers.js";
import { type RoundRobinProxy, startRoundRobinProxy } from "./round-robin-proxy.js";
import { EVERYTHING, runCli } from "./run-cli.js";

// The session-mode tests run two replicas on one database behind a proxy that alternates between them, as a
// load balancer without session affinity does.
let dir: { path: string; cleanup: () => Promise<void> };
const started: GatewayProcess[] = [];
let proxy: RoundRobinProxy | undefined;
beforeEach(async () => {
  dir = await tempDir();
  await writeJson(dir.path, "waygate.json", { mcpServers: { everything: EVERYTHING } });
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await Promise.all(started.splice(0).map((gateway) => gateway.stop("SIGKILL")));
  await dir.cleanup();
});

const SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef";

async function replicasBehindProxy(env: Record<string, string>): Promise<string> {
  const created = await runCli(["keys", "create", "--name", "client", "--json"], {
    cwd: dir.path,
    env: { WAYGATE_SECRET_KEY: SECRET },
  });
  const { key } = JSON.parse(created.stdout) as { key: string };
  const replicaEnv = { WAYGATE_SECRET_KEY: SECRET, WAYGATE_CONFIG: "waygate.json", ...env };
  const replicas = await Promise.all([
    startGateway(dir.path, replicaEnv),
    startGateway(dir.path, replicaEnv),
  ]);
  started.push(...replicas);
  for (const replica of replicas) await waitForOutput(replica, "everything: ready");
  proxy = await startRoundRobinProxy(replicas.map((replica) => replica.url));
  return key;
}

function clientTransport(key: string): StreamableHTTPClientTransport {
  return new StreamableHTTPClientTransport(new URL(`${proxy?.url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
  });
}

describe("MCP_SESSION_MODE", () => {
  it("stateless: an SDK client is served by whichever replica gets each request", async () => {
    const key = await replicasBehindProxy({ MCP_SESSION_MODE: "stateless" });
    const client = new Client({ name: "no-affinity", version: "1.0.0" });
    try {
      await client.connect(clientTransport(key));
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain("everything__echo");
      for (const message of ["one", "two", "three"]) {
        const result = await client.callTool({ name: "everything__echo", arguments: { message } });
        expect(JSON.stringify(result.content)).toContain(message);
      }
    } finally {
      await client.close();
    }
    // Both replicas answered part of the conversation.
    expect(new Set(proxy?.routed)).toEqual(new Set([0, 1]));
  });

  it("stateful (the default): a replica that did not open the session refuses it, so the balancer needs affinity", async () => {
    const key = await replicasBehindProxy({});
    const client = new Client({ name: "no-affinity", version: "1.0.0" });
    const outcome = await client.connect(clientTransport(key)).then(
      async () => client.listTools().then(() => "served"),
      (error: Error) => error.message,
    );
    await client.close();
    expect(outcome).not.toBe("served");
    expect(String(outcome)).toMatch(/session/i);
  });

  it("exits 3 for an unknown mode before binding a port", async () => {
    const run = await runCli(["start"], { cwd: dir.path, env: { MCP_SESSION_MODE: "sticky" } });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("set MCP_SESSION_MODE to stateful or stateless");
    expect(run.stderr).not.toContain("listening");
  });
});

/** Opens a session with plain HTTP (a client that declares no capabilities) and returns the tools/call response. */
async function plainToolCall(url: string, key: string): Promise<Response> {
  const headers = {
    authorization: `Bearer ${key}`,
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
  };
  const post = (body: object, sessionId?: string) =>
    fetch(`${url}/mcp`, {
      method: "POST",
      headers: {
        ...headers,
        ...(sessionId
          ? { "mcp-session-id": sessionId, "mcp-protocol-version": LATEST_PROTOCOL_VERSION }
          : {}),
      },
      body: JSON.stringify(body),
    });
  const initialized = await post({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: {
      protocolVersion: LATEST_PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: "plain-http", version: "1.0.0" },
    },
  });
  expect(initialized.status).toBe(200);
  const sessionId = initialized.headers.get("mcp-session-id") ?? undefined;
  expect(sessionId).toBeDefined();
  await initialized.text();
  const notified = await post({ jsonrpc: "2.0", method: "notifications/initialized" }, sessionId);
  expect(notified.status).toBe(202);
  return post(
    {
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "everything__echo", arguments: { message: "plain" } },
    },
    sessionId,
  );
}

/** Starts one gateway with `env` and returns the content type of a plain tools/call answer. */
/** A plain 2026-07-28 tools/call: no session, the protocol version and method in headers and in the `_meta` envelope. */
async function modernToolCall(url: string, key: string): Promise<Response> {
  return fetch(`${url}/mcp`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": "tools/call",
      "mcp-name": "everything__echo",
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 3,
      method: "tools/call",
      params: {
        name: "everything__echo",
        arguments: { message: "plain" },
        _meta: {
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientInfo": { name: "plain-http", version: "1.0.0" },
          "io.modelcontextprotocol/clientCapabilities": {},
        },
      },
    }),
  });
}

async function toolCallContentType(
  env: Record<string, string>,
  call: (url: string, key: string) => Promise<Response> = plainToolCall,
): Promise<string | null> {
  const created = await runCli(["keys", "create", "--name", "client", "--json"], {
    cwd: dir.path,
    env: { WAYGATE_SECRET_KEY: SECRET },
  });
  const { key } = JSON.parse(created.stdout) as { key: string };
  const gateway = await startGateway(dir.path, {
    WAYGATE_SECRET_KEY: SECRET,
    WAYGATE_CONFIG: "waygate.json",
    ...env,
  });
  started.push(gateway);
  await waitForOutput(gateway, "everything: ready");
  const called = await call(gateway.url, key);
  expect(called.status).toBe(200);
  expect(await called.text()).toContain("plain");
  return called.headers.get("content-type");
}

describe("MCP_RESPONSE_MODE", () => {
  it("sse: a plain tools/call POST to /mcp is answered with an event stream", async () => {
    expect(await toolCallContentType({ MCP_RESPONSE_MODE: "sse" })).toContain("text/event-stream");
  });

  it("auto (the default): a 2026-07-28 tools/call with nothing to stream is answered with one JSON body", async () => {
    expect(await toolCallContentType({}, modernToolCall)).toContain("application/json");
  });

  it("auto (the default): a 2025 session's tools/call is streamed, as the SDK transport does", async () => {
    expect(await toolCallContentType({})).toContain("text/event-stream");
  });

  it("json: a 2025 session's tools/call is answered with one JSON body", async () => {
    expect(await toolCallContentType({ MCP_RESPONSE_MODE: "json" })).toContain("application/json");
  });

  it("exits 3 for an unknown mode before binding a port", async () => {
    const run = await runCli(["start"], { cwd: dir.path, env: { MCP_RESPONSE_MODE: "stream" } });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("set MCP_RESPONSE_MODE to auto, sse or json");
    expect(run.stderr).not.toContain("listening");
  });
});
