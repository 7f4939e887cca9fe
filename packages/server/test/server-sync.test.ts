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

describe("stored servers with environment references, and a replica narrowed to some names", () => {
  const replicas: Gateway[] = [];
  afterAll(async () => {
    for (const replica of replicas) await replica.close({ deadlineMs: 2000 });
  });

  /** Another replica on A's database file, with its own environment. */
  async function replica(extra: Partial<Parameters<typeof createGateway>[0]>): Promise<string> {
    const db = await openDatabase({ url: `file:${join(a.dir, "waygate.db")}` });
    const gateway = await createGateway({
      database: db,
      secretKey: SECRET_KEY,
      env: "test",
      logger: createLogger({ silent: true }),
      collectDefaultMetrics: false,
      timeouts: { serverSyncMs: 200 },
      ...extra,
    });
    const close = gateway.close.bind(gateway);
    gateway.close = async (options) => {
      const result = await close(options);
      db.close();
      return result;
    };
    replicas.push(gateway);
    return (await gateway.listen({ host: "127.0.0.1", port: 0 })).url;
  }

  async function serverOn(url: string, name: string) {
    const servers = (await get(`${url}/admin/servers`, admin)).body.servers as Record<string, unknown>[];
    return servers.find((s) => s.name === name);
  }

  async function envOf(url: string, tool: string): Promise<Record<string, string>> {
    const call = await post(`${url}/mcp/execute`, { tool, arguments: {} }, admin);
    expect(call.status, JSON.stringify(call.body)).toBe(200);
    return JSON.parse(call.body.result.content[0].text);
  }

  it("resolve on each replica from its own environment; an unset one fails that server naming the variable; a removal anywhere reaches all", async () => {
    const red = await replica({ referenceEnv: { WHO: "red" } });
    const blue = await replica({ referenceEnv: { WHO: "blue" } });
    const bare = await replica({ referenceEnv: {} });
    // Added by another process (the CLI writes the row), holding a reference instead of the value.
    await a.repos.mcpServers.create({
      name: "envsrv",
      transport: "stdio",
      command: everything.command,
      args: everything.args,
      // A `${env:WHO}` reference, as the CLI stores it.
      env: { REPLICA_NAME: ["$", "{env:WHO}"].join("") },
    });
    for (const url of [red, blue]) {
      await eventually(async () => (await serverOn(url, "envsrv"))?.state === "ready");
    }
    expect((await envOf(red, "envsrv__get-env")).REPLICA_NAME).toBe("red");
    expect((await envOf(blue, "envsrv__get-env")).REPLICA_NAME).toBe("blue");

    await eventually(async () => (await serverOn(bare, "envsrv"))?.state === "failed");
    expect(await serverOn(bare, "envsrv")).toMatchObject({
      lastError: { message: expect.stringContaining("environment variable WHO, which is not set") },
    });
    const refused = await post(`${bare}/mcp/execute`, { tool: "envsrv__get-env", arguments: {} }, admin);
    expect(refused.status).not.toBe(200);

    const removed = await fetch(`${blue}/admin/servers/envsrv`, { method: "DELETE", headers: admin });
    expect(removed.status).toBe(200);
    for (const url of [red, bare])
      await eventually(async () => (await serverOn(url, "envsrv")) === undefined);
    expect(await a.repos.mcpServers.get("envsrv")).toBeNull();
  });

  it("with a selection (MCP_SERVERS_ENABLED), run the selected stored servers, sync them, leave the rest alone, and remove a stored one", async () => {
    const narrowed = await replica({ storedServersSelected: ["picked"] });
    await a.repos.mcpServers.create({ name: "picked", transport: "stdio", ...everything });
    await a.repos.mcpServers.create({ name: "unpicked", transport: "stdio", ...everything });
    await eventually(async () => (await serverOn(narrowed, "picked"))?.state === "ready");
    expect(await serverOn(narrowed, "unpicked")).toBeUndefined();

    await a.repos.mcpServers.setEnabled("picked", false);
    await eventually(async () => (await serverOn(narrowed, "picked"))?.enabled === false);
    await a.repos.mcpServers.setEnabled("picked", true);
    await eventually(async () => (await serverOn(narrowed, "picked"))?.state === "ready");

    const removed = await fetch(`${narrowed}/admin/servers/picked`, { method: "DELETE", headers: admin });
    expect(removed.status).toBe(200);
    expect(await a.repos.mcpServers.get("picked")).toBeNull();
    expect(await serverOn(narrowed, "unpicked")).toBeUndefined();
    await a.repos.mcpServers.remove("unpicked");
  });
});
