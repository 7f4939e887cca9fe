import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRepositories, openDatabase, type WaygateDatabase } from "@waygate/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readMcpBody, SECRET_KEY, serverEverythingPath } from "./helpers.js";
import { type RedisProcess, startRedis } from "./support/redis-server.js";
import { type Replica, startReplica } from "./support/replicas.js";

// Three gateway processes on loopback share one libSQL file and one Redis, as replicas behind a load balancer do.
let redis: RedisProcess;
let dir: string;
let db: WaygateDatabase;
let replicas: Replica[] = [];
let repos: ReturnType<typeof createRepositories>;
const everything = { command: process.execPath, args: [serverEverythingPath(), "stdio"] };

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), "waygate-scale-"));
  const url = `file:${join(dir, "waygate.db")}`;
  db = await openDatabase({ url });
  repos = createRepositories(db, { secretKey: SECRET_KEY });
  const env = {
    DATABASE_URL: url,
    WAYGATE_SECRET_KEY: SECRET_KEY,
    REDIS_URL: redis.url,
    RATE_LIMIT_FAIL_MODE: "closed",
    // These tests count calls across replicas; Redis stays up. On a loaded machine an answer can take longer than
    // the store's 500 ms default, which fails closed (503) and would read as a miscount.
    REDIS_COMMAND_TIMEOUT_MS: "5000",
    MCP_SESSION_MODE: "stateless",
    MCP_RESPONSE_MODE: "json",
    STDIO_ALLOWLIST: JSON.stringify([everything]),
  };
  replicas = await Promise.all([startReplica(env), startReplica(env), startReplica(env)]);
}, 120_000);

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  db?.close();
  await redis?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Child processes of `pid` (Linux /proc), e.g. a replica's stdio upstreams. */
function childPids(pid: number): number[] {
  const tasks = readdirSync(`/proc/${pid}/task`, { withFileTypes: true });
  return tasks.flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task.name}/children`, "utf8").split(" ").filter(Boolean).map(Number),
  );
}

/** The replica's upstream processes: its children running server-everything (tsx's esbuild service is not one). */
function upstreamPids(pid: number): number[] {
  return childPids(pid).filter((child) => describePid(child).includes(serverEverythingPath()));
}

/** A child process as `pid state command line`, for a failure message. */
function describePid(pid: number): string {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ")[0] ?? "?";
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    return `${pid} ${state} ${cmdline}`;
  } catch {
    return `${pid} (gone)`;
  }
}

let sequence = 0;

/** One JSON-RPC tools/call on a replica; returns the HTTP status and the request id the audit row must carry. */
async function callOn(
  replica: Replica,
  key: string,
  tag: string,
): Promise<{ status: number; requestId: string; body?: unknown }> {
  const requestId = `${tag}-${++sequence}`;
  const response = await fetch(`${replica.url}/mcp`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-06-18",
      "x-request-id": requestId,
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: sequence,
      method: "tools/call",
      params: { name: "local__echo", arguments: { text: requestId } },
    }),
  });
  const body = (await readMcpBody(response)) as { result?: { content?: { text?: string }[] } };
  if (response.status === 200 && body.result?.content?.[0]?.text !== requestId) {
    throw new Error(`replica answered ${JSON.stringify(body)} for ${requestId}`);
  }
  // Anything but an answer or a rate-limit refusal keeps its body, so a failing assertion shows why.
  return response.status === 200 || response.status === 429
    ? { status: response.status, requestId }
    : { status: response.status, requestId, body };
}

async function auditedIds(prefix: string): Promise<Map<string, { count: number; outcome: string }>> {
  const result = await db.client.execute({
    sql: "SELECT request_id, outcome, count(*) AS n FROM command_history WHERE request_id LIKE ? GROUP BY request_id",
    args: [`${prefix}-%`],
  });
  return new Map(
    result.rows.map((row) => [
      String(row.request_id),
      { count: Number(row.n), outcome: String(row.outcome) },
    ]),
  );
}

/** Runs `total` calls, `concurrency` at a time, round-robin over the replicas. */
async function spread(total: number, concurrency: number, run: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await run(next++);
    }),
  );
}

describe("three replicas on one database and one Redis", () => {
  it("holds a per-key limit across replicas (within 5%) and audits every call exactly once", async () => {
    const { plaintext: key } = await repos.apiKeys.create({
      name: "limited",
      scopes: ["tools:call"],
      rateLimitPerMinute: 300,
    });
    const results: { status: number; requestId: string; body?: unknown }[] = [];
    await spread(450, 12, async (i) => {
      results.push(await callOn(replicas[i % 3] as Replica, key, "limit"));
    });
    const served = results.filter((r) => r.status === 200).length;
    const limited = results.filter((r) => r.status === 429).length;
    console.log(`limit 300/min over 3 replicas: ${served} served, ${limited} refused of ${results.length}`);
    expect(results.filter((r) => r.status !== 200 && r.status !== 429)).toEqual([]);
    expect(served + limited).toBe(450);
    expect(Math.abs(served - 300)).toBeLessThanOrEqual(15);
    const audited = await auditedIds("limit");
    expect(audited.size).toBe(450);
    for (const { requestId, status } of results) {
      expect(audited.get(requestId)).toEqual({ count: 1, outcome: status === 200 ? "ok" : "rate_limited" });
    }
  }, 120_000);

  it("refuses a key revoked through one replica on the others within the verify cache window", async () => {
    const { plaintext: key, key: record } = await repos.apiKeys.create({
      name: "doomed",
      scopes: ["tools:call"],
    });
    const { plaintext: adminKey } = await repos.apiKeys.create({ name: "admin", scopes: ["admin"] });
    for (const replica of replicas) expect((await callOn(replica, key, "warm")).status).toBe(200);
    const [first, ...others] = replicas as [Replica, Replica, Replica];
    const revoked = await fetch(`${first.url}/admin/keys/${record.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(revoked.status).toBe(200);
    const revokedAt = Date.now();
    expect((await callOn(first, key, "after")).status).toBe(401);
    const refusedAfter: number[] = [];
    for (const replica of others) {
      while ((await callOn(replica, key, "after")).status !== 401) {
        expect(Date.now() - revokedAt).toBeLessThan(5_000);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      refusedAfter.push(Date.now() - revokedAt);
    }
    console.log(`revocation reached the other replicas after ${refusedAfter.join(" ms and ")} ms`);
    // apiKeyCacheMs is 1000: a replica may keep a verified key for up to one second, plus scheduling slack.
    for (const ms of refusedAfter) expect(ms).toBeLessThan(2_000);
  }, 60_000);

  it("starts and stops a server added and removed through one replica on the others", async () => {
    const { plaintext: adminKey } = await repos.apiKeys.create({
      name: "server-admin",
      scopes: ["admin", "tools:list"],
    });
    const headers = { authorization: `Bearer ${adminKey}`, "content-type": "application/json" };
    const [first, ...others] = replicas as [Replica, Replica, Replica];
    const listsEcho = async (replica: Replica) => {
      const res = await fetch(`${replica.url}/mcp/tools`, { headers });
      const body = (await res.json()) as { tools: { name: string }[] };
      return body.tools.some((tool) => tool.name === "ev__echo");
    };
    const waitOnOthers = async (want: boolean) => {
      const started = Date.now();
      const took: number[] = [];
      for (const replica of others) {
        while ((await listsEcho(replica)) !== want) {
          expect(Date.now() - started).toBeLessThan(15_000);
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        took.push(Date.now() - started);
      }
      return took;
    };
    const added = await fetch(`${first.url}/admin/servers`, {
      method: "POST",
      headers,
      body: JSON.stringify({ name: "ev", ...everything }),
    });
    expect(added.status).toBe(201);
    const startedAfter = await waitOnOthers(true);
    const removed = await fetch(`${first.url}/admin/servers/ev`, { method: "DELETE", headers });
    expect(removed.status).toBe(200);
    const stoppedAfter = await waitOnOthers(false);
    // The list drops the server before its process has exited; wait for that too, so the crash test below does
    // not orphan it by killing a replica mid-shutdown.
    for (const replica of replicas) {
      const waitStarted = Date.now();
      while (upstreamPids(replica.child.pid as number).length > 0) {
        // Bounded, so a process that never exits fails here naming itself instead of timing the test out.
        if (Date.now() - waitStarted > 20_000) {
          const left = upstreamPids(replica.child.pid as number).map(describePid);
          expect({ replica: replica.url, childrenLeft: left }).toEqual({
            replica: replica.url,
            childrenLeft: [],
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    console.log(
      `server added on one replica served by the others after ${startedAfter.join(" / ")} ms; removal applied after ${stoppedAfter.join(" / ")} ms`,
    );
  }, 60_000);

  it("loses no acknowledged call when one replica is killed mid-load", async () => {
    const { plaintext: key } = await repos.apiKeys.create({
      name: "busy",
      scopes: ["tools:call"],
      rateLimitPerMinute: 100_000,
    });
    const acknowledged: string[] = [];
    let failed = 0;
    const victim = replicas[2] as Replica;
    await spread(300, 12, async (i) => {
      if (i === 100) void victim.kill();
      try {
        const { status, requestId } = await callOn(replicas[i % 3] as Replica, key, "crash");
        if (status === 200) acknowledged.push(requestId);
        else failed++;
      } catch {
        failed++; // the killed replica's connection dropped: not acknowledged
      }
    });
    console.log(
      `kill during load: ${acknowledged.length} acknowledged, ${failed} failed (sent to the killed replica)`,
    );
    expect(victim.child.signalCode).toBe("SIGKILL");
    expect(failed).toBeGreaterThan(0);
    const audited = await auditedIds("crash");
    const missing = acknowledged.filter((id) => audited.get(id)?.count !== 1);
    expect(missing).toEqual([]);
  }, 120_000);
});
