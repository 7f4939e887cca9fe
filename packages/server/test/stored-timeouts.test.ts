import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGateway } from "../src/index.js";
import { get, post, SECRET_KEY, serverEverythingPath, startGateway, type TestGateway } from "./helpers.js";

let t: TestGateway;
let admin: Record<string, string>;
const everything = { command: process.execPath, args: [serverEverythingPath(), "stdio"] };
// A process that never answers initialize: only the connect deadline ends its start.
const silent = { command: process.execPath, args: ["-e", "setInterval(() => {}, 1000)"] };

async function serverState(name: string): Promise<Record<string, unknown> | undefined> {
  const servers = (await get(`${t.url}/admin/servers`, admin)).body.servers as Record<string, unknown>[];
  return servers.find((s) => s.name === name);
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("the condition did not hold in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  // The gateway-wide deadlines are long; only the stored rows' own ones can end these calls and starts early.
  t = await startGateway({
    timeouts: { serverSyncMs: 200, toolCallMs: 120_000 },
    // A configured server (the config file's mcpServers) with its own request timeout.
    upstreams: { cfg: { ...everything, requestTimeoutMs: 450 } },
  });
  admin = { authorization: `Bearer ${await t.key(["admin", "tools:list", "tools:call"])}` };
  // Stored rows, as `waygate servers add` (another process) writes them.
  await t.repos.mcpServers.create({
    name: "quick",
    transport: "stdio",
    ...everything,
    requestTimeoutMs: 400,
  });
  await t.repos.mcpServers.create({ name: "mute", transport: "stdio", ...silent, connectTimeoutMs: 300 });
  await eventually(async () => (await serverState("quick"))?.state === "ready");
  await eventually(async () => (await serverState("cfg"))?.state === "ready");
});
afterAll(async () => {
  await t?.close();
});

describe("a stored server's own timeouts reach its transport", () => {
  it("the request timeout ends a call that the gateway-wide deadline would let run", async () => {
    const call = await post(
      `${t.url}/mcp/execute`,
      { tool: "quick__trigger-long-running-operation", arguments: { duration: 30, steps: 2 } },
      admin,
    );
    expect(call.body.result).toMatchObject({
      isError: true,
      content: [
        {
          text: expect.stringContaining(
            "did not answer tools/call 'trigger-long-running-operation' within 400 ms",
          ),
        },
      ],
    });
  });

  it("a configured server's request timeout applies the same way", async () => {
    const call = await post(
      `${t.url}/mcp/execute`,
      { tool: "cfg__trigger-long-running-operation", arguments: { duration: 30, steps: 2 } },
      admin,
    );
    expect(call.body.result.content[0].text).toContain("within 450 ms");
  });

  it("a configured server with a timeout out of bounds is refused at start, naming it", async () => {
    await expect(
      createGateway({
        secretKey: SECRET_KEY,
        databaseUrl: ":memory:",
        upstreams: { bad: { command: "x", connectTimeoutMs: 5 } },
      }),
    ).rejects.toThrow(/upstreams\.bad: .*connectTimeoutMs must be at least 100/);
  });

  it("the connect timeout fails a server that never answers initialize, saying so", async () => {
    await eventually(async () => (await serverState("mute"))?.state === "failed");
    expect(JSON.stringify((await serverState("mute"))?.lastError)).toContain("300");
  });
});
