import { existsSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordCase } from "../src/fault-table.js";
import { type GatewayProcess, rssBytes, startGatewayProcess, waitFor } from "../src/gateway-process.js";
import { everythingServer, faultUpstreamServer } from "../src/paths.js";
import { slowClient } from "../src/raw-http.js";
import { createWorkspace, SECRET_KEY, type Workspace } from "../src/workspace.js";

const HEADERS_MS = 2_000;
const REQUEST_MS = 3_000;
const RUNS = Number(process.env.WAYGATE_FAULTS_FUZZ_RUNS ?? 150);

let ws: Workspace;
let gateway: GatewayProcess;

beforeAll(async () => {
  ws = await createWorkspace();
  await ws.writeConfig({
    gateway: {
      rateLimit: { windowMs: 60_000, limit: 100_000 },
      // The key-guessing cases below measure the key lookup itself, so the per-address failure limit is lifted here.
      authFailures: { windowMs: 60_000, limit: 1_000_000 },
      timeouts: { toolCallMs: 5_000, headersMs: HEADERS_MS, requestMs: REQUEST_MS },
    },
    mcpServers: { work: faultUpstreamServer() },
    stdioAllowlist: [everythingServer()],
  });
  gateway = await startGatewayProcess({
    cwd: ws.dir,
    env: {
      DATABASE_URL: ws.databaseUrl,
      WAYGATE_SECRET_KEY: SECRET_KEY,
      WAYGATE_CONFIG: "waygate.json",
      LOG_LEVEL: "error",
    },
  });
  await waitFor("the upstream to be ready", async () => {
    const health = (await (await fetch(`${gateway.url}/health`)).json()) as { status: string };
    return health.status === "ok" ? true : undefined;
  });
});

afterAll(async () => {
  await gateway?.stop("SIGKILL");
  await ws?.cleanup();
});

const MB = 1024 * 1024;

/** Asserts a raw HTTP answer is a 408 with the gateway's JSON error body, and returns its status line. */
function expectJsonRequestTimeout(response: string): string {
  const [head = "", body = ""] = response.split("\r\n\r\n");
  expect(head).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/i);
  expect(head).toMatch(/\r\ncontent-type: application\/json/i);
  expect(JSON.parse(body)).toMatchObject({ error: { code: "request_timeout", message: expect.any(String) } });
  return head.split("\r\n")[0]!;
}

async function postRaw(path: string, body: string, headers: Record<string, string>): Promise<number> {
  const response = await fetch(`${gateway.url}${path}`, { method: "POST", headers, body });
  await response.arrayBuffer();
  return response.status;
}

/** Opens an MCP session with the caller key, so fuzzed messages also reach the session's handlers. */
async function openSession(): Promise<string> {
  const response = await fetch(`${gateway.url}/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      authorization: `Bearer ${ws.keys.caller}`,
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "fuzz", version: "1" } },
    }),
  });
  await response.arrayBuffer();
  const id = response.headers.get("mcp-session-id");
  if (!id) throw new Error(`initialize gave no session id (${response.status})`);
  await postRaw("/mcp", JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }), {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    authorization: `Bearer ${ws.keys.caller}`,
    "mcp-session-id": id,
  });
  return id;
}

/** A JSON-RPC-ish message: sometimes valid in shape, often not, with real method names mixed in. */
const jsonRpcBody = fc.oneof(
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.string().map((text) => text),
  fc
    .record(
      {
        jsonrpc: fc.oneof(fc.constant("2.0"), fc.string(), fc.integer()),
        id: fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.jsonValue()),
        method: fc.oneof(
          fc.constantFrom("initialize", "tools/list", "tools/call", "resources/read", "prompts/get", "ping"),
          fc.string(),
        ),
        params: fc.jsonValue(),
      },
      { requiredKeys: [] },
    )
    .map((message) => JSON.stringify(message)),
  fc.array(fc.jsonValue(), { maxLength: 5 }).map((batch) => JSON.stringify(batch)),
);

/** A REST call body: mostly well-formed JSON objects with odd tools and arguments. */
const executeBody = fc.oneof(
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.string(),
  fc
    .record(
      {
        tool: fc.oneof(
          fc.constantFrom("work__echo", "work__pid", "work__", "__echo", "work__nope"),
          fc.string(),
          fc.jsonValue(),
        ),
        arguments: fc.jsonValue(),
      },
      { requiredKeys: [] },
    )
    .map((body) => JSON.stringify(body)),
);

/** Header values fetch accepts (no control characters), shaped like keys or not. */
const authValue = fc.oneof(
  fc.string({ unit: "grapheme-ascii" }),
  fc.string({ unit: "grapheme-ascii" }).map((text) => `Bearer ${text}`),
  fc.stringMatching(/^wg_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}$/).map((key) => `Bearer ${key}`),
  fc.stringMatching(/^wg_[A-Za-z0-9_-]{0,80}$/),
);

/** A path segment: plain, well-encoded, or with broken percent-encoding (`%ZZ`, a lone `%`, `%C0`). */
const pathSegment = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/),
  fc.string({ unit: "grapheme-ascii", maxLength: 12 }).map((text) => encodeURIComponent(text)),
  fc.constantFrom("%ZZ", "%", "%%", "%E0%A4%A", "%C0", "%FF%FE", "%2", "%00", "..", "%2e%2e", "%2F"),
);

/** Paths over every route family with fuzzed segments where the routes take parameters. */
const fuzzedPath = fc.oneof(
  pathSegment.map((segment) => `/servers/${segment}/mcp`),
  pathSegment.map((segment) => `/admin/keys/${segment}`),
  pathSegment.map((segment) => `/admin/servers/${segment}/enable`),
  pathSegment.map((segment) => `/admin/servers/${segment}`),
  pathSegment.map((segment) => `/mcp/${segment}`),
  fc.array(pathSegment, { minLength: 1, maxLength: 4 }).map((segments) => `/${segments.join("/")}`),
);

/** Headers the gateway reads, with values fetch accepts (no control characters). */
const fuzzedHeaders = fc.dictionary(
  fc.constantFrom(
    "host",
    "origin",
    "content-type",
    "accept",
    "mcp-session-id",
    "mcp-protocol-version",
    "last-event-id",
    "x-request-id",
    "content-encoding",
  ),
  fc.oneof(
    fc.string({ unit: "grapheme-ascii", maxLength: 40 }),
    fc.constantFrom("", "evil.example", "http://evil.example", "127.0.0.1:1", "[::1", "application/json"),
  ),
  { maxKeys: 4 },
);

/** Admin bodies: random JSON, and key and server requests with odd fields. Never a URL off this machine. */
const adminKeyBody = fc.oneof(
  fc.jsonValue(),
  fc.record(
    {
      name: fc.oneof(fc.string(), fc.jsonValue()),
      scopes: fc.oneof(
        fc.array(fc.constantFrom("tools:list", "tools:call", "admin", "root", "*")),
        fc.jsonValue(),
      ),
      toolPatterns: fc.oneof(fc.array(fc.string()), fc.jsonValue()),
      rateLimitPerMinute: fc.oneof(fc.integer(), fc.double(), fc.jsonValue()),
      expiresAt: fc.oneof(
        fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
        fc.string(),
      ),
    },
    { requiredKeys: [] },
  ),
);
const adminServerBody = fc.oneof(
  // A random value never names a reachable URL: any `url` key is dropped.
  fc.jsonValue().filter((value) => !JSON.stringify(value).includes('"url"')),
  fc.record(
    {
      name: fc.oneof(fc.stringMatching(/^fz[a-z0-9]{1,8}$/), fc.string(), fc.jsonValue()),
      url: fc.constantFrom("http://127.0.0.1:1/mcp", "not a url", "ftp://127.0.0.1/", "http://[::1]:1/"),
      type: fc.oneof(fc.constantFrom("http", "sse", "stdio", "streamable-http"), fc.string()),
      headers: fc.oneof(fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }), fc.jsonValue()),
      enabled: fc.jsonValue(),
    },
    { requiredKeys: [] },
  ),
  fc.record(
    {
      name: fc.stringMatching(/^fz[a-z0-9]{1,8}$/),
      command: fc.oneof(fc.constantFrom("node", "bash", "/bin/sh"), fc.string()),
      args: fc.oneof(fc.array(fc.string(), { maxLength: 3 }), fc.jsonValue()),
      env: fc.oneof(fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }), fc.jsonValue()),
      cwd: fc.oneof(fc.string(), fc.jsonValue()),
    },
    { requiredKeys: ["name", "command"] },
  ),
);

function tally(statuses: Map<number, number>): string {
  return [...statuses].map(([status, n]) => `${status}x${n}`).join(" ");
}

describe("abuse", () => {
  it(`fuzzed JSON-RPC bodies at /mcp (${RUNS} runs) never get a 5xx and never stop the gateway`, async () => {
    const statuses = new Map<number, number>();
    const session = await openSession();
    await fc.assert(
      fc.asyncProperty(jsonRpcBody, fc.constantFrom("none", "key", "session"), async (body, as) => {
        const status = await postRaw("/mcp", body, {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...(as === "none" ? {} : { authorization: `Bearer ${ws.keys.caller}` }),
          ...(as === "session" ? { "mcp-session-id": session, "mcp-protocol-version": "2025-06-18" } : {}),
        });
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        expect(status).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
    expect(gateway.child.exitCode).toBeNull();
    recordCase({
      case: "fuzzed JSON-RPC bodies at /mcp",
      expected: "never a 5xx, gateway up",
      observed: `${RUNS} bodies: ${[...statuses].map(([status, n]) => `${status}x${n}`).join(" ")}`,
    });
  });

  it(`fuzzed bodies at /mcp/execute (${RUNS} runs) never get a 5xx and never stop the gateway`, async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(executeBody, async (body) => {
        const status = await postRaw("/mcp/execute", body, {
          "content-type": "application/json",
          authorization: `Bearer ${ws.keys.caller}`,
        });
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        expect(status).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
    expect(gateway.child.exitCode).toBeNull();
    recordCase({
      case: "fuzzed bodies at /mcp/execute",
      expected: "never a 5xx, gateway up",
      observed: `${RUNS} bodies: ${[...statuses].map(([status, n]) => `${status}x${n}`).join(" ")}`,
    });
  });

  it(`fuzzed Authorization and X-API-Key headers (${RUNS} runs) are refused with 401, never a 5xx`, async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(authValue, fc.boolean(), async (value, asApiKey) => {
        const status = await postRaw(
          "/mcp/execute",
          JSON.stringify({ tool: "work__echo", arguments: { text: "x" } }),
          {
            "content-type": "application/json",
            ...(asApiKey ? { "x-api-key": value } : { authorization: value }),
          },
        );
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        expect([400, 401, 429]).toContain(status);
      }),
      { numRuns: RUNS },
    );
    recordCase({
      case: "fuzzed auth headers",
      expected: "401 (never 2xx or 5xx)",
      observed: `${RUNS} headers: ${[...statuses].map(([status, n]) => `${status}x${n}`).join(" ")}`,
    });
  });

  it(`fuzzed paths, malformed percent-encoding included (${RUNS} runs), never get a 5xx, with or without a key`, async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fuzzedPath,
        fc.constantFrom("GET", "POST", "DELETE"),
        fc.constantFrom("none", "caller", "admin"),
        async (path, method, as) => {
          const key = as === "none" ? undefined : ws.keys[as];
          const response = await fetch(`${gateway.url}${path}`, {
            method,
            headers: {
              "content-type": "application/json",
              accept: "application/json, text/event-stream",
              ...(key ? { authorization: `Bearer ${key}` } : {}),
            },
            ...(method === "POST" ? { body: "{}" } : {}),
          });
          await response.arrayBuffer();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          expect(response.status).toBeLessThan(500);
        },
      ),
      { numRuns: RUNS },
    );
    expect(gateway.child.exitCode).toBeNull();
    recordCase({
      case: "fuzzed paths (%ZZ, lone %, bad UTF-8)",
      expected: "never a 5xx, gateway up",
      observed: `${RUNS} paths: ${tally(statuses)}`,
    });
  });

  it(`fuzzed Host, Origin, Accept, session and other headers (${RUNS} runs) never get a 5xx`, async () => {
    const statuses = new Map<number, number>();
    const { request } = await import("node:http");
    const { port } = new URL(gateway.url);
    // node:http, not fetch: fetch does not let a caller set Host.
    const send = (path: string, headers: Record<string, string>, body: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, path, method: "POST", headers }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        });
        req.on("error", reject);
        req.end(body);
      });
    await fc.assert(
      fc.asyncProperty(
        fuzzedHeaders,
        fc.constantFrom("/mcp", "/mcp/execute", "/admin/keys"),
        async (headers, path) => {
          const status = await send(
            path,
            {
              "content-type": "application/json",
              accept: "application/json, text/event-stream",
              authorization: `Bearer ${path === "/admin/keys" ? ws.keys.admin : ws.keys.caller}`,
              ...headers,
            },
            path === "/mcp"
              ? JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" })
              : JSON.stringify({ tool: "work__echo", arguments: { text: "x" } }),
          );
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          expect(status).toBeLessThan(500);
        },
      ),
      { numRuns: RUNS },
    );
    expect(gateway.child.exitCode).toBeNull();
    recordCase({
      case: "fuzzed request headers (Host, Origin, Accept, session…)",
      expected: "never a 5xx, gateway up",
      observed: `${RUNS} header sets: ${tally(statuses)}`,
    });
  });

  it(`fuzzed admin bodies at /admin/keys and /admin/servers (${RUNS} runs each) never get a 5xx`, async () => {
    const statuses = new Map<number, number>();
    const admin = { "content-type": "application/json", authorization: `Bearer ${ws.keys.admin}` };
    await fc.assert(
      fc.asyncProperty(adminKeyBody, async (body) => {
        const status = await postRaw("/admin/keys", JSON.stringify(body), admin);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        expect(status).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
    await fc.assert(
      fc.asyncProperty(adminServerBody, async (body) => {
        const status = await postRaw("/admin/servers", JSON.stringify(body), admin);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        expect(status).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
    expect(gateway.child.exitCode).toBeNull();
    recordCase({
      case: "fuzzed admin bodies (keys, servers)",
      expected: "never a 5xx, gateway up",
      observed: `${2 * RUNS} bodies: ${tally(statuses)}`,
    });
  });

  it("an admin key cannot turn the allowlisted stdio command into other code through env or cwd (403, nothing runs)", async () => {
    const marker = join(ws.dir, "pwned");
    const admin = { "content-type": "application/json", authorization: `Bearer ${ws.keys.admin}` };
    const inject = `--import=data:text/javascript,import{writeFileSync}from"node:fs";writeFileSync(${JSON.stringify(marker)},"x")`;
    const attempts = {
      NODE_OPTIONS: { name: "inject", ...everythingServer(), env: { NODE_OPTIONS: inject } },
      cwd: { name: "elsewhere", ...everythingServer(), cwd: "/" },
      "joined argv": {
        name: "joined",
        command: `${everythingServer().command} ${everythingServer().args[0]}`,
        args: ["stdio"],
      },
    };
    const statuses: string[] = [];
    for (const [what, body] of Object.entries(attempts)) {
      const response = await fetch(`${gateway.url}/admin/servers`, {
        method: "POST",
        headers: admin,
        body: JSON.stringify(body),
      });
      const answer = (await response.json()) as { error?: { code: string } };
      statuses.push(`${what}: ${response.status}`);
      expect(response.status).toBe(403);
      expect(answer.error?.code).toBe("forbidden");
    }
    expect(existsSync(marker)).toBe(false);
    recordCase({
      case: "stdio allowlist: env, cwd or a re-split argv from the admin API",
      expected: "403 each, no process started",
      observed: `${statuses.join(", ")}; marker file ${existsSync(marker) ? "written" : "absent"}`,
    });
  });

  it("20,000 distinct invalid keys are refused with 401 and memory levels off instead of growing per key", async () => {
    const tryKeys = async (from: number, count: number) => {
      const statuses = new Map<number, number>();
      const workers = Array.from({ length: 16 }, async (_, worker) => {
        for (let i = from + worker; i < from + count; i += 16) {
          const key = `wg_${String(i).padStart(12, "k")}_${"x".repeat(43)}`;
          const status = await postRaw("/mcp/execute", '{"tool":"work__echo","arguments":{"text":"x"}}', {
            "content-type": "application/json",
            authorization: `Bearer ${key}`,
          });
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      });
      await Promise.all(workers);
      return statuses;
    };
    await tryKeys(0, 2_000); // warm up: JIT, pools and caches reach their working size
    const rss = [await rssBytes(gateway.pid)];
    const statuses = new Map<number, number>();
    for (let round = 0; round < 4; round++) {
      for (const [status, n] of await tryKeys(2_000 + round * 5_000, 5_000))
        statuses.set(status, (statuses.get(status) ?? 0) + n);
      rss.push(await rssBytes(gateway.pid));
    }
    expect([...statuses.keys()].every((status) => status === 401 || status === 429)).toBe(true);
    // Memory that grew per key would keep growing each round; a heap settling in levels off. The second
    // 10,000 keys must cost far less than a per-key entry would (~1 KB each = 10 MB), allowing for GC noise.
    const firstHalf = rss[2]! - rss[0]!;
    const secondHalf = rss[4]! - rss[2]!;
    expect(secondHalf).toBeLessThan(24 * MB);
    recordCase({
      case: "20,000 distinct invalid keys",
      expected: "all 401; RSS levels off (2nd 10k < 24 MB)",
      observed: `${[...statuses].map(([status, n]) => `${status}x${n}`).join(" ")}; RSS MB by 5k: ${rss.map((bytes) => (bytes / MB).toFixed(0)).join(" -> ")} (+${(firstHalf / MB).toFixed(1)}, then +${(secondHalf / MB).toFixed(1)})`,
    });
  }, 180_000);

  it("a client that sends its headers one byte a second is cut off by the headers timeout with 408 and a JSON error", async () => {
    const { port } = new URL(gateway.url);
    const result = await slowClient({
      url: gateway.url,
      head: "POST /mcp/execute HTTP/1.1\r\n",
      drip: `Host: 127.0.0.1:${port}\r\nX-Padding: ${"p".repeat(60)}\r\n\r\n`,
      byteMs: 1_000,
      giveUpMs: HEADERS_MS + 10_000,
    });
    expect(result.closedAfterMs).toBeLessThan(HEADERS_MS + 8_000);
    const status = expectJsonRequestTimeout(result.response);
    recordCase({
      case: "slow headers (1 byte/s)",
      expected: `408 with a JSON error, cut off near headersMs (${HEADERS_MS} ms)`,
      observed: `closed after ${result.closedAfterMs} ms, ${result.bytesSent} bytes sent; ${status}`,
    });
  });

  it("a client that sends its body one byte every 200 ms is cut off by the request timeout with 408 and a JSON error", async () => {
    const { port } = new URL(gateway.url);
    const body = JSON.stringify({ tool: "work__echo", arguments: { text: "z".repeat(200) } });
    const result = await slowClient({
      url: gateway.url,
      head:
        `POST /mcp/execute HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
        `Authorization: Bearer ${ws.keys.caller}\r\nContent-Length: ${body.length}\r\n\r\n`,
      drip: body,
      byteMs: 200,
      giveUpMs: REQUEST_MS + 10_000,
    });
    expect(result.closedAfterMs).toBeLessThan(REQUEST_MS + 8_000);
    expect(result.bytesSent).toBeLessThan(body.length);
    const status = expectJsonRequestTimeout(result.response);
    recordCase({
      case: "slow body (1 byte / 200 ms)",
      expected: `408 with a JSON error, cut off near requestMs (${REQUEST_MS} ms)`,
      observed: `closed after ${result.closedAfterMs} ms; ${status}`,
    });
  });

  it("after all the abuse the gateway still serves a real call", async () => {
    const response = await fetch(`${gateway.url}/mcp/execute`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ws.keys.caller}` },
      body: JSON.stringify({ tool: "work__echo", arguments: { text: "still serving" } }),
    });
    expect(response.status).toBe(200);
    expect(JSON.stringify(await response.json())).toContain("still serving");
  });
});
