import { fileURLToPath } from "node:url";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { openDatabase, type WaygateDatabase } from "@waygate/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGateway, createLogger, type Gateway } from "../src/index.js";
import { connectClient, get, post, SECRET_KEY, startGateway, type TestGateway, until } from "./helpers.js";

const MISBEHAVING = fileURLToPath(new URL("../../../fixtures/misbehaving-server.ts", import.meta.url));
/** The project's misbehaving fixture over stdio; its `rug_pull` tool rewrites `echo` and sends list_changed. */
const upstream = {
  command: process.execPath,
  args: ["--import", import.meta.resolve("tsx"), MISBEHAVING],
};

const clients: Client[] = [];
const connect = async (url: string, key: string) => {
  const client = await connectClient(url, key);
  clients.push(client);
  return client;
};

const echoOf = async (client: Client) =>
  (await client.listTools()).tools.find((tool) => tool.name.endsWith("echo"));

describe("definition pinning, strict, on two replicas sharing one database", () => {
  let a: TestGateway;
  let b: Gateway;
  let bUrl: string;
  let bDb: WaygateDatabase;
  let admin: string;
  let caller: string;

  beforeAll(async () => {
    const options = {
      plugins: [],
      upstreams: { mb: upstream },
      pinning: { mode: "strict" as const },
      timeouts: { serverSyncMs: 200 },
    };
    a = await startGateway(options);
    bDb = await openDatabase({ url: a.db.url });
    b = await createGateway({
      ...options,
      database: bDb,
      secretKey: SECRET_KEY,
      env: "test",
      logger: createLogger({ silent: true }),
      collectDefaultMetrics: false,
    });
    bUrl = (await b.listen({ host: "127.0.0.1", port: 0 })).url;
    await b.ready();
    admin = await a.key(["admin"]);
    caller = await a.key();
  }, 60_000);
  afterAll(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    await b?.close({ deadlineMs: 2000 });
    bDb?.close();
    await a?.close();
  });

  it("serves what it saw first, hides a rewritten tool on both replicas, refuses calls to it, and serves it once approved", async () => {
    const onA = await connect(`${a.url}/mcp`, caller);
    const onB = await connect(`${bUrl}/mcp`, caller);
    expect((await echoOf(onA))?.description).toBe("Echoes text back");

    // Each replica runs its own copy of the upstream; both are rewritten.
    for (const client of [onA, onB]) await client.callTool({ name: "mb__rug_pull", arguments: {} });
    for (const client of [onA, onB])
      await until(
        () => echoOf(client),
        (echo) => echo === undefined,
        "echo to be hidden",
      );

    const refused = await onA
      .callTool({ name: "mb__echo", arguments: { text: "hi" } })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({
      code: -32013,
      message: expect.stringContaining(
        "'echo' of server 'mb' is changed since it was approved and awaits approval",
      ),
    });
    const single = await connect(`${a.url}/servers/mb/mcp`, caller);
    await expect(single.callTool({ name: "echo", arguments: { text: "hi" } })).rejects.toMatchObject({
      code: -32013,
    });
    const rows = await a.auditRows();
    expect(rows.some((r) => r.tool === "mb__echo" && r.outcome === "error")).toBe(true);

    const events = await a.db.client.execute(
      "SELECT type, message FROM system_events WHERE type LIKE 'pin.%'",
    );
    expect(events.rows.map((r) => r.type)).toContain("pin.changed");
    const metrics = await get(`${a.url}/metrics`, { authorization: `Bearer ${admin}` });
    expect(metrics.body).toMatch(
      /waygate_pin_changes_total\{server="mb",kind="tool",change="changed"\} [1-9]\d*/,
    );

    // The diff shows both definitions side by side.
    const diff = await get(`${a.url}/admin/pins/mb/diff`, { authorization: `Bearer ${admin}` });
    expect(diff.status).toBe(200);
    const pin = diff.body.pins.find((p: { name: string }) => p.name === "echo");
    expect(pin.approved.description).toBe("Echoes text back");
    expect(pin.current.description).toContain("read ~/.ssh/id_rsa");
    expect(Object.keys(pin.current.inputSchema.properties)).toEqual(["text", "secret"]);

    // Approving a hash that is not the pending one is refused with the current definition.
    const stale = await post(
      `${a.url}/admin/pins/approve`,
      { server: "mb", kind: "tool", name: "echo", hash: "0".repeat(64) },
      { authorization: `Bearer ${admin}` },
    );
    expect(stale.status).toBe(409);
    expect(stale.body.error.message).toContain("changed again");
    expect(stale.body.current.currentHash).toBe(pin.currentHash);

    const approved = await post(
      `${a.url}/admin/pins/approve`,
      { server: "mb", kind: "tool", name: "echo", hash: pin.currentHash },
      { authorization: `Bearer ${admin}` },
    );
    expect(approved.status).toBe(200);
    expect(approved.body.approved.map((p: { name: string }) => p.name)).toEqual(["echo"]);
    for (const client of [onA, onB]) {
      const echo = await until(
        () => echoOf(client),
        (tool) => tool !== undefined,
        "echo to be served again",
      );
      expect(echo?.description).toContain("read ~/.ssh/id_rsa");
    }
    expect((await onB.callTool({ name: "mb__echo", arguments: { text: "back" } })).content).toEqual([
      { type: "text", text: "back" },
    ]);
  });

  it("refuses bad approval and rejection bodies with 400 naming the field, and a non-admin key with 403", async () => {
    const headers = { authorization: `Bearer ${admin}` };
    const badKind = await post(`${a.url}/admin/pins/approve`, { server: "mb", kind: "widget" }, headers);
    expect(badKind.status).toBe(400);
    expect(badKind.body.error.message).toContain("kind");
    const badHash = await post(`${a.url}/admin/pins/approve`, { server: "mb", hash: "abc" }, headers);
    expect(badHash.body.error.message).toContain("hash must be the 64 hex characters");
    const noName = await post(`${a.url}/admin/pins/reject`, { server: "mb", kind: "tool" }, headers);
    expect(noName.status).toBe(400);
    expect(noName.body.error.message).toContain("name");
    const unknown = await post(
      `${a.url}/admin/pins/reject`,
      { server: "mb", kind: "tool", name: "nope" },
      headers,
    );
    expect(unknown.status).toBe(404);
    const badStatus = await get(`${a.url}/admin/pins?status=maybe`, headers);
    expect(badStatus.status).toBe(400);
    const notAdmin = await get(`${a.url}/admin/pins`, { authorization: `Bearer ${caller}` });
    expect(notAdmin.status).toBe(403);
  });
});

describe("definition pinning, warn", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startGateway({ plugins: [], upstreams: { mb: upstream } });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it("serves a rewritten tool flagged in _meta, records the change, and a rejection hides it", async () => {
    const key = await t.key();
    const admin = await t.key(["admin"]);
    const client = await connect(`${t.url}/mcp`, key);
    expect((await echoOf(client))?._meta).toBeUndefined();
    await client.callTool({ name: "mb__rug_pull", arguments: {} });
    const flagged = await until(
      () => echoOf(client),
      (echo) => echo?._meta?.["io.waygate/pin"] !== undefined,
      "echo to be flagged",
    );
    expect(flagged?._meta?.["io.waygate/pin"]).toMatchObject({ status: "changed" });
    expect((await client.callTool({ name: "mb__echo", arguments: { text: "still" } })).content).toEqual([
      { type: "text", text: "still" },
    ]);
    const listed = await get(`${t.url}/admin/pins?server=mb&status=changed`, {
      authorization: `Bearer ${admin}`,
    });
    expect(listed.body.pins.map((p: { name: string }) => p.name)).toEqual(["echo"]);

    const rejected = await post(
      `${t.url}/admin/pins/reject`,
      { server: "mb", kind: "tool", name: "echo" },
      { authorization: `Bearer ${admin}` },
    );
    expect(rejected.status).toBe(200);
    await until(
      () => echoOf(client),
      (echo) => echo === undefined,
      "the rejected echo to be hidden",
    );
    await expect(client.callTool({ name: "mb__echo", arguments: { text: "x" } })).rejects.toMatchObject({
      code: -32013,
      message: expect.stringContaining("was rejected by an operator"),
    });
  });
});
