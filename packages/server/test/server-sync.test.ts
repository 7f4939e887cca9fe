import { join } from "node:path";
import { openDatabase } from "@waygate/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGateway, createLogger, type Gateway } from "../src/index.js";
import { get, post, SECRET_KEY, serverEverythingPath, startGateway, type TestGateway } from "./helpers.js";

// Two gateways on one database file, each with its own connection, stand in for two replicas.
let a: TestGateway;
let b: Gateway;
let bUrl: string;
let admin: Record<string, string>;
const everything = { command: process.execPath, args: [serverEverythingPath(), "stdio"] };
const allowlist = [everything];

beforeAll(async () => {
  a = await startGateway({ stdioAllowlist: allowlist });
  const bDb = await openDatabase({ url: `file:${join(a.dir, "waygate.db")}` });
  b = await createGateway({
    database: bDb,
    secretKey: SECRET_KEY,
    env: "test",
    logger: createLogger({ silent: true }),
    collectDefaultMetrics: false,
    timeouts: { serverSyncMs: 200 },
  });
  const closeB = b.close.bind(b);
  b.close = async (options) => {
    const result = await closeB(options);
    bDb.close();
    return result;
  };
  bUrl = (await b.listen({ host: "127.0.0.1", port: 0 })).url;
  admin = { authorization: `Bearer ${await a.key(["admin", "tools:list", "tools:call"])}` };
});
afterAll(async () => {
  await b?.close({ deadlineMs: 2000 });
  await a?.close();
});

async function toolsOnB(): Promise<string[]> {
  const res = await get(`${bUrl}/mcp/tools`, admin);
  return res.body.tools.map((tool: { name: string }) => tool.name);
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("the other replica did not apply the change in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("server changes made through another replica", () => {
  it("start, stop, restart and remove the upstream on this replica too", async () => {
    expect((await post(`${a.url}/admin/servers`, { name: "ev", ...everything }, admin)).status).toBe(201);
    await eventually(async () => (await toolsOnB()).includes("ev__echo"));
    const call = await post(`${bUrl}/mcp/execute`, { tool: "ev__echo", arguments: { message: "hi" } }, admin);
    expect(call.status).toBe(200);
    expect(JSON.stringify(call.body.result)).toContain("hi");

    expect((await post(`${a.url}/admin/servers/ev/disable`, {}, admin)).status).toBe(200);
    await eventually(async () => !(await toolsOnB()).includes("ev__echo"));
    const listed = await get(`${bUrl}/admin/servers`, admin);
    expect(listed.body.servers.find((s: { name: string }) => s.name === "ev")).toMatchObject({
      enabled: false,
    });

    expect((await post(`${a.url}/admin/servers/ev/enable`, {}, admin)).status).toBe(200);
    await eventually(async () => (await toolsOnB()).includes("ev__echo"));

    const removed = await fetch(`${a.url}/admin/servers/ev`, { method: "DELETE", headers: admin });
    expect(removed.status).toBe(200);
    await eventually(async () => {
      const servers = (await get(`${bUrl}/admin/servers`, admin)).body.servers as { name: string }[];
      return !servers.some((s) => s.name === "ev");
    });
    expect(await toolsOnB()).not.toContain("ev__echo");
  });

  it("leaves a server configured in options alone when a stored row has its name", async () => {
    await a.repos.mcpServers.create({ name: "local", transport: "http", url: "http://127.0.0.1:9/mcp" });
    // Give A (serverSyncMs 1000 by default) two sync rounds to (wrongly) act on it.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const servers = (await get(`${a.url}/admin/servers`, admin)).body.servers as {
      name: string;
      origin: string;
    }[];
    expect(servers.filter((s) => s.name === "local")).toEqual([
      expect.objectContaining({ origin: "options" }),
    ]);
    await a.repos.mcpServers.remove("local");
  });
});
