import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGateway } from "../src/index.js";
import { createLogger } from "../src/logger.js";
import {
  get,
  post,
  SECRET_KEY,
  serverEverythingPath,
  startGateway,
  type TestGateway,
  type TestResponse,
} from "./helpers.js";

let t: TestGateway;
let admin: Record<string, string>;
const everything = { command: process.execPath, args: [serverEverythingPath(), "stdio"] };

beforeAll(async () => {
  t = await startGateway({ stdioAllowlist: [everything] });
  admin = { authorization: `Bearer ${await t.key(["admin"])}` };
});
afterAll(async () => {
  await t?.close();
});

async function del(url: string, headers: Record<string, string>): Promise<TestResponse> {
  const response = await fetch(url, { method: "DELETE", headers });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

describe("admin keys", () => {
  it("creates a key shown once, lists it without the plaintext, and revokes it", async () => {
    const created = await post(`${t.url}/admin/keys`, { name: "ci", scopes: ["tools:call"] }, admin);
    expect(created.status).toBe(201);
    expect(created.body.plaintext).toMatch(/^wg_/);
    const id = created.body.key.id;
    const listed = await get(`${t.url}/admin/keys`, admin);
    expect(listed.body.keys.some((k: { id: string }) => k.id === id)).toBe(true);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.plaintext);
    const works = await post(
      `${t.url}/mcp/execute`,
      { tool: "local__echo", arguments: { text: "x" } },
      { authorization: `Bearer ${created.body.plaintext}` },
    );
    expect(works.status).toBe(200);
    const revoked = await del(`${t.url}/admin/keys/${id}`, admin);
    expect(revoked.status).toBe(200);
    expect(revoked.body.key.revokedAt).not.toBeNull();
    const refused = await post(
      `${t.url}/mcp/execute`,
      { tool: "local__echo", arguments: { text: "x" } },
      { authorization: `Bearer ${created.body.plaintext}` },
    );
    expect(refused.status).toBe(401);
    const events = await t.repos.systemEvents.list({ type: "api_key.revoked" });
    expect(events.items.length).toBe(1);
  });

  it("rejects a key request without scopes with 400 naming the field", async () => {
    const res = await post(`${t.url}/admin/keys`, { name: "x", scopes: [] }, admin);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("scopes:");
  });

  it("answers revoking an unknown key with 404", async () => {
    const res = await del(`${t.url}/admin/keys/does-not-exist`, admin);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_found");
  });

  it("refuses the admin API to a key without the admin scope", async () => {
    const res = await get(`${t.url}/admin/keys`, { authorization: `Bearer ${await t.key()}` });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe("This API key lacks the 'admin' scope");
  });
});

describe("admin servers", () => {
  it("refuses a stdio server whose command and args are not on the allowlist with 403", async () => {
    const res = await post(
      `${t.url}/admin/servers`,
      { name: "shell", command: "bash", args: ["-c", "id"] },
      admin,
    );
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({
      code: "forbidden",
      message:
        'Stdio servers can be added over HTTP only as an entry of the operator\'s stdioAllowlist; no entry has the command and args ["bash","-c","id"]. Add the server in the config file instead.',
    });
    expect(await t.repos.mcpServers.get("shell")).toBeNull();
  });

  it("rejects an invalid server body with 400", async () => {
    const res = await post(`${t.url}/admin/servers`, { name: "bad__name", url: "not a url" }, admin);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("name:");
  });

  it("adds an allowlisted stdio server, disables, enables and removes it, persisting each step", async () => {
    const added = await post(`${t.url}/admin/servers`, { name: "ev", ...everything }, admin);
    expect(added.status).toBe(201);
    expect(added.body.server).toMatchObject({ name: "ev", state: "ready", origin: "database" });
    expect((await t.repos.mcpServers.get("ev"))?.config).toMatchObject({ transport: "stdio", enabled: true });
    const tools = await get(`${t.url}/mcp/tools`, admin);
    expect(tools.body.tools.some((x: { name: string }) => x.name === "ev__echo")).toBe(true);

    const duplicate = await post(`${t.url}/admin/servers`, { name: "ev", ...everything }, admin);
    expect(duplicate.status).toBe(409);

    expect((await post(`${t.url}/admin/servers/ev/disable`, {}, admin)).status).toBe(200);
    expect((await t.repos.mcpServers.get("ev"))?.config.enabled).toBe(false);
    const listed = await get(`${t.url}/admin/servers`, admin);
    expect(listed.body.servers.find((s: { name: string }) => s.name === "ev")).toMatchObject({
      enabled: false,
    });
    const afterDisable = await get(`${t.url}/mcp/tools`, admin);
    expect(afterDisable.body.tools.some((x: { name: string }) => x.name === "ev__echo")).toBe(false);

    const enabled = await post(`${t.url}/admin/servers/ev/enable`, {}, admin);
    expect(enabled.body.server).toMatchObject({ name: "ev", state: "ready" });

    const removed = await del(`${t.url}/admin/servers/ev`, admin);
    expect(removed.status).toBe(200);
    expect(await t.repos.mcpServers.get("ev")).toBeNull();
  });

  it("refuses to remove a server defined in the gateway's configuration with 409", async () => {
    const res = await del(`${t.url}/admin/servers/local`, admin);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain("comes from the gateway's configuration");
  });

  it("starts the enabled servers stored in the database when a gateway starts, and only registers disabled ones", async () => {
    await t.repos.mcpServers.create({ name: "stored", transport: "stdio", ...everything });
    await t.repos.mcpServers.create({ name: "parked", transport: "stdio", enabled: false, ...everything });
    const second = await createGateway({
      database: t.db,
      secretKey: SECRET_KEY,
      logger: createLogger({ silent: true }),
      collectDefaultMetrics: false,
    });
    try {
      await second.ready();
      const { url } = await second.listen({ port: 0 });
      const res = await get(`${url}/mcp/servers`, admin);
      expect(res.body.servers).toEqual([
        expect.objectContaining({ name: "stored", origin: "database", state: "ready" }),
      ]);
    } finally {
      await second.close();
      await t.repos.mcpServers.remove("stored");
    }
  });
});
