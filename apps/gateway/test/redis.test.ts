import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "./helpers.js";
import { type RedisServer, startRedis } from "./redis-server.js";
import { runCli } from "./run-cli.js";

let dir: { path: string; cleanup: () => Promise<void> };
let redis: RedisServer | undefined;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await redis?.stop();
  redis = undefined;
  await dir.cleanup();
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
