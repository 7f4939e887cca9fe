import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type GatewayProcess, startGateway, waitForOutput } from "./gateway-process.js";
import { tempDir, writeJson } from "./helpers.js";
import { type RedisServer, startRedis } from "./redis-server.js";
import { EVERYTHING, runCli } from "./run-cli.js";

let dir: { path: string; cleanup: () => Promise<void> };
let redis: RedisServer | undefined;
const started: GatewayProcess[] = [];
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((gateway) => gateway.stop("SIGKILL")));
  await redis?.stop();
  redis = undefined;
  await dir.cleanup();
});

const SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef";

/** A key allowed `perMinute` requests, created in the test's database. */
async function keyWithLimit(perMinute: number): Promise<string> {
  const run = await runCli(
    ["keys", "create", "--name", "limited", "--rate-limit", String(perMinute), "--json"],
    { cwd: dir.path, env: { WAYGATE_SECRET_KEY: SECRET } },
  );
  expect(run.code).toBe(0);
  return (JSON.parse(run.stdout) as { key: string }).key;
}

async function start(env: Record<string, string>): Promise<GatewayProcess> {
  const gateway = await startGateway(dir.path, { WAYGATE_SECRET_KEY: SECRET, ...env });
  started.push(gateway);
  return gateway;
}

/** A REST tool call (to a tool that does not exist: the limiter runs before the router). */
async function execute(gateway: GatewayProcess, key: string): Promise<{ status: number; code?: string }> {
  const response = await fetch(`${gateway.url}/mcp/execute`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ tool: "nothing__here", arguments: {} }),
  });
  const body = (await response.json()) as { error?: { code?: string } };
  return { status: response.status, ...(body.error?.code ? { code: body.error.code } : {}) };
}

interface Health {
  status: string;
  rateLimit: { kind: string; ok: boolean; failMode?: string; error?: string };
}

/** `/health` with a metrics:read key: without one it shows only whether each check is ok. */
async function health(gateway: GatewayProcess): Promise<Health> {
  const run = await runCli(["keys", "create", "--name", "probe", "--scopes", "metrics:read", "--json"], {
    cwd: dir.path,
    env: { WAYGATE_SECRET_KEY: SECRET },
  });
  expect(run.code).toBe(0);
  const key = (JSON.parse(run.stdout) as { key: string }).key;
  return (await (
    await fetch(`${gateway.url}/health`, { headers: { authorization: `Bearer ${key}` } })
  ).json()) as Health;
}

describe("waygate start with REDIS_URL", () => {
  it("shares one key's limit between two replicas through a real Redis", async () => {
    redis = await startRedis();
    const key = await keyWithLimit(3);
    const [first, second] = await Promise.all([
      start({ REDIS_URL: redis.url }),
      start({ REDIS_URL: redis.url }),
    ]);
    if (!first || !second) throw new Error("two replicas expected");
    expect(first.stderr()).toContain(
      `rate limits: shared through ${redis.url} (while it is unreachable: fail open)`,
    );
    expect((await health(first)).rateLimit).toEqual({ kind: "redis", ok: true, failMode: "open" });

    const answers = [];
    for (const gateway of [first, second, first]) answers.push(await execute(gateway, key));
    expect(answers).toEqual([404, 404, 404].map((status) => ({ status, code: "unknown_tool" })));
    // The fourth call is the key's fourth in the window, on either replica.
    expect(await execute(second, key)).toEqual({ status: 429, code: "rate_limited" });
    expect(await execute(first, key)).toEqual({ status: 429, code: "rate_limited" });
    expect(await first.stop()).toBe(0);
    expect(await second.stop()).toBe(0);
  });

  it("counts in each process without REDIS_URL, and says so", async () => {
    const key = await keyWithLimit(3);
    const [first, second] = [await start({}), await start({})];
    expect(first.stderr()).toContain("rate limits: counted in this process (set REDIS_URL to share them)");
    const answers = [];
    for (const gateway of [first, second, first, second]) answers.push((await execute(gateway, key)).status);
    expect(answers).toEqual([404, 404, 404, 404]);
    expect((await health(first)).rateLimit).toEqual({ kind: "memory", ok: true });
  });

  it("fails closed with 503 while Redis is unreachable when WAYGATE_RATE_LIMIT_FAIL_MODE=closed", async () => {
    redis = await startRedis();
    const url = redis.url;
    await redis.stop();
    redis = undefined;
    const key = await keyWithLimit(100);
    const gateway = await start({ REDIS_URL: url, WAYGATE_RATE_LIMIT_FAIL_MODE: "closed" });
    expect(await execute(gateway, key)).toEqual({ status: 503, code: "rate_limit_unavailable" });
    const seen = await health(gateway);
    expect(seen).toMatchObject({
      status: "degraded",
      rateLimit: { kind: "redis", ok: false, failMode: "closed" },
    });
    expect(await gateway.stop()).toBe(0);
  });

  it("fails open (serves without limits) while Redis is unreachable by default, and /health says so", async () => {
    redis = await startRedis();
    const url = redis.url;
    await redis.stop();
    redis = undefined;
    const key = await keyWithLimit(1);
    const gateway = await start({ REDIS_URL: url });
    const answers = [await execute(gateway, key), await execute(gateway, key)];
    expect(answers.map((answer) => answer.status)).toEqual([404, 404]);
    expect(await health(gateway)).toMatchObject({
      status: "degraded",
      rateLimit: { kind: "redis", ok: false, failMode: "open" },
    });
    expect(await gateway.stop()).toBe(0);
  });

  it("exits 3 for an unknown WAYGATE_RATE_LIMIT_FAIL_MODE before binding a port", async () => {
    const run = await runCli(["start"], {
      cwd: dir.path,
      env: { REDIS_URL: "redis://127.0.0.1:6379", WAYGATE_RATE_LIMIT_FAIL_MODE: "sometimes" },
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("WAYGATE_RATE_LIMIT_FAIL_MODE");
    expect(run.stderr).toContain("set WAYGATE_RATE_LIMIT_FAIL_MODE to open or closed");
    expect(run.stderr).not.toContain("listening");
  });
});

/** A 2026-07-28 `tools/call` sent by hand, as the SDK v2 client sends it; `round` adds the next round's fields. */
async function modernCall(
  replica: GatewayProcess,
  key: string,
  round?: { requestState: string; inputResponses: Record<string, unknown> },
): Promise<{ result?: Record<string, unknown>; error?: { code: number; message: string } }> {
  const name = "everything__trigger-sampling-request";
  const response = await fetch(`${replica.url}/mcp`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${key}`,
      accept: "application/json, text/event-stream",
      "content-type": "application/json",
      "mcp-method": "tools/call",
      "mcp-name": name,
      "mcp-protocol-version": "2026-07-28",
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: {
        name,
        arguments: { prompt: "2+2?" },
        _meta: {
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientInfo": { name: "by-hand", version: "1.0.0" },
          "io.modelcontextprotocol/clientCapabilities": { sampling: {} },
        },
        ...round,
      },
    }),
  });
  const text = await response.text();
  // An answer streamed as events carries the JSON-RPC response on a data line.
  const data = text.startsWith("{") ? text : (/^data: (\{.*\})$/m.exec(text)?.[1] ?? text);
  return JSON.parse(data) as { result?: Record<string, unknown>; error?: { code: number; message: string } };
}

describe("input_required rounds between waygate start replicas", () => {
  async function replicas(env: Record<string, string>): Promise<[GatewayProcess, GatewayProcess, string]> {
    await writeJson(dir.path, "waygate.json", { mcpServers: { everything: EVERYTHING } });
    const created = await runCli(["keys", "create", "--name", "rounds", "--json"], {
      cwd: dir.path,
      env: { WAYGATE_SECRET_KEY: SECRET },
    });
    const { key } = JSON.parse(created.stdout) as { key: string };
    const [first, second] = await Promise.all([
      start({ WAYGATE_CONFIG: "waygate.json", ...env }),
      start({ WAYGATE_CONFIG: "waygate.json", ...env }),
    ]);
    if (!first || !second) throw new Error("two replicas expected");
    for (const replica of [first, second]) await waitForOutput(replica, "everything: ready");
    return [first, second, key];
  }

  const answerOf = (round: Record<string, unknown> | undefined) => {
    const [question] = Object.keys((round?.inputRequests ?? {}) as object);
    return {
      requestState: String(round?.requestState),
      inputResponses: {
        [question ?? "none"]: { role: "assistant", model: "m", content: { type: "text", text: "four" } },
      },
    };
  };

  it("with REDIS_URL: a stdio upstream's sampling round begun on one replica is answered through the other", async () => {
    redis = await startRedis();
    const [first, second, key] = await replicas({ REDIS_URL: redis.url });
    expect(first.stderr()).toContain(`input_required rounds: relayed between replicas through ${redis.url}`);
    const asked = await modernCall(first, key);
    expect(asked.result).toMatchObject({ resultType: "input_required" });
    let done = await modernCall(second, key, answerOf(asked.result));
    expect(done.error).toBeUndefined();
    expect(JSON.stringify(done.result?.content)).toContain("four");
    // The round was used up on the replica that ran it: sending it again through either is refused.
    done = await modernCall(second, key, answerOf(asked.result));
    expect(done.error?.code).toBe(-32602);
  });

  it("without REDIS_URL: the other replica refuses the round naming REDIS_URL and one-replica routing", async () => {
    const [first, second, key] = await replicas({});
    expect(first.stderr()).toContain(
      "input_required rounds: resumed on the replica that parked the call (set REDIS_URL to relay them)",
    );
    const asked = await modernCall(first, key);
    expect(asked.result).toMatchObject({ resultType: "input_required" });
    const refused = await modernCall(second, key, answerOf(asked.result));
    expect(refused.error?.code).toBe(-32602);
    expect(refused.error?.message).toContain("set REDIS_URL to the same Redis on every replica");
    expect(refused.error?.message).toContain("route each client's requests to one replica");
  });
});

interface Finding {
  check: string;
  status: string;
  detail: string;
  fix: string;
}

async function redisRow(env: Record<string, string>): Promise<Finding | undefined> {
  const run = await runCli(["doctor", "--json", "--timeout", "3000"], { cwd: dir.path, env });
  const { findings } = JSON.parse(run.stdout) as { findings: Finding[] };
  return findings.find((finding) => finding.check === "redis");
}

describe("waygate doctor with REDIS_URL", () => {
  it("reports a reachable Redis with its answer, never showing the password", async () => {
    redis = await startRedis();
    const row = await redisRow({ REDIS_URL: `redis://default:s3cret-pass@127.0.0.1:${redis.port}` });
    expect(row).toMatchObject({
      status: "ok",
      detail: expect.stringMatching(
        new RegExp(`^redis://127\\.0\\.0\\.1:${redis.port} answered PONG in \\d+ ms$`),
      ),
    });
  });

  it("fails with the address and a fix when nothing answers there, within the timeout", async () => {
    redis = await startRedis();
    const port = redis.port;
    await redis.stop();
    redis = undefined;
    const row = await redisRow({ REDIS_URL: `redis://:hunter2@127.0.0.1:${port}` });
    expect(row).toMatchObject({
      status: "fail",
      detail: expect.stringContaining(`cannot reach redis://127.0.0.1:${port}: `),
      fix: expect.stringContaining("fix REDIS_URL"),
    });
    expect(JSON.stringify(row)).not.toContain("hunter2");
  });

  it("rejects a REDIS_URL that is not a URL before checking anything", async () => {
    const run = await runCli(["doctor", "--json"], { cwd: dir.path, env: { REDIS_URL: "localhost:6379" } });
    expect(run.code).toBe(6);
    const { findings } = JSON.parse(run.stdout) as { findings: Finding[] };
    expect(findings.find((finding) => finding.check === "config REDIS_URL")).toMatchObject({
      status: "fail",
      fix: expect.stringContaining("redis://localhost:6379"),
    });
  });
});
