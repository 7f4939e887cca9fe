import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, post, startGateway, type TestGateway } from "./helpers.js";

let t: TestGateway;
let key: string;

beforeAll(async () => {
  t = await startGateway();
  key = await t.key();
});
afterAll(async () => {
  await t?.close();
});

const auth = () => ({ authorization: `Bearer ${key}` });

describe("service endpoints", () => {
  it("GET / describes the service without a key", async () => {
    const res = await get(`${t.url}/`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: "waygate", auth: "required", endpoints: { mcp: "/mcp" } });
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("GET /health without a key reports each check's ok and no server names", async () => {
    const res = await get(`${t.url}/health`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: "ok",
      database: { ok: true },
      audit: { ok: true },
      rateLimit: { ok: true },
      servers: { ok: true },
    });
  });

  it("GET /health with a metrics:read key reports the database and each server", async () => {
    const res = await get(`${t.url}/health`, { authorization: `Bearer ${await t.key(["metrics:read"])}` });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "ok", database: { ok: true } });
    expect(res.body.servers).toEqual([
      expect.objectContaining({ name: "local", kind: "plugin", state: "ready" }),
    ]);
  });

  it("GET /ready is 200 once servers settled, naming servers only to a metrics:read key", async () => {
    const res = await get(`${t.url}/ready`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ready: true, migrated: true });
    const detailed = await get(`${t.url}/ready`, {
      authorization: `Bearer ${await t.key(["metrics:read"])}`,
    });
    expect(detailed.body).toMatchObject({
      ready: true,
      migrated: true,
      servers: [{ name: "local", state: "ready" }],
    });
  });

  it("echoes a well-formed X-Request-Id and replaces a malformed one", async () => {
    expect((await get(`${t.url}/`, { "x-request-id": "abc-123" })).headers.get("x-request-id")).toBe(
      "abc-123",
    );
    expect((await get(`${t.url}/`, { "x-request-id": "bad id!" })).headers.get("x-request-id")).not.toBe(
      "bad id!",
    );
  });

  it("sends helmet's security headers and no X-Powered-By", async () => {
    const res = await get(`${t.url}/`);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("strict-transport-security")).toContain("max-age=");
    expect(res.headers.get("x-powered-by")).toBeNull();
  });

  it("answers unknown routes with a JSON 404", async () => {
    const res = await get(`${t.url}/nope`);
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: "not_found", message: "No route for GET /nope" });
  });
});

describe("POST /mcp/execute", () => {
  it("calls a tool, returns its result and audits the call before responding", async () => {
    const res = await post(
      `${t.url}/mcp/execute`,
      { tool: "local__echo", arguments: { text: "hi" } },
      auth(),
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ tool: "local__echo", result: { content: [{ type: "text", text: "hi" }] } });
    const rows = await t.auditRows();
    const row = rows.find((r) => r.request_id === res.headers.get("x-request-id"));
    expect(row).toMatchObject({ server: "local", tool: "echo", transport: "rest", outcome: "ok" });
    expect(JSON.parse(String(row?.arguments))).toEqual({ text: "hi" });
  });

  it("returns a failing tool's isError result with 200 and audits it as an error", async () => {
    const res = await post(`${t.url}/mcp/execute`, { tool: "local__fail" }, auth());
    expect(res.status).toBe(200);
    expect(res.body.result.isError).toBe(true);
    const row = (await t.auditRows()).find((r) => r.request_id === res.headers.get("x-request-id"));
    expect(row).toMatchObject({ outcome: "error", tool: "fail" });
  });

  it("rejects an unknown tool with 404 and audits it", async () => {
    const res = await post(`${t.url}/mcp/execute`, { tool: "local__nope", arguments: {} }, auth());
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: "unknown_tool" });
    expect(res.body.error.message).toContain("Unknown tool 'local__nope'");
    const row = (await t.auditRows()).find((r) => r.request_id === res.headers.get("x-request-id"));
    expect(row).toMatchObject({ outcome: "error", server: "unknown" });
  });

  it("rejects a body without a tool name with 400 naming the field", async () => {
    const res = await post(`${t.url}/mcp/execute`, { arguments: {} }, auth());
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("bad_request");
    expect(res.body.error.message).toContain("tool:");
  });

  it("rejects malformed JSON with 400", async () => {
    const res = await post(`${t.url}/mcp/execute`, '{"tool": ', auth());
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "parse_error", message: "Request body is not valid JSON" });
  });

  it("rejects a non-JSON content type with 415", async () => {
    const res = await post(`${t.url}/mcp/execute`, "tool=x", { ...auth(), "content-type": "text/plain" });
    expect(res.status).toBe(415);
    expect(res.body.error).toMatchObject({ code: "unsupported_media_type" });
    expect(res.body.error.message).toContain("text/plain");
  });

  it("rejects a body over 1 MiB with 413", async () => {
    const big = { tool: "local__echo", arguments: { text: "x".repeat(1024 * 1024 + 10) } };
    const res = await post(`${t.url}/mcp/execute`, big, auth());
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: "payload_too_large" });
    expect(res.body.error.message).toContain("1048576");
  });
});

describe("authentication", () => {
  const call = (headers: Record<string, string>) =>
    post(`${t.url}/mcp/execute`, { tool: "local__echo", arguments: { text: "x" } }, headers);

  it("rejects a request without a key with 401 and says how to send one", async () => {
    const res = await call({});
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("unauthenticated");
    expect(res.body.error.message).toContain("Authorization: Bearer");
  });

  it("rejects a wrong key with 401", async () => {
    const res = await call({ authorization: `Bearer ${key.slice(0, -4)}zzzz` });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe("API key is not recognised");
  });

  it("rejects a malformed key with 401", async () => {
    const res = await call({ "x-api-key": "not-a-key" });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toContain("malformed");
  });

  it("accepts the key in X-API-Key", async () => {
    expect((await call({ "x-api-key": key })).status).toBe(200);
  });

  it("rejects a revoked key with 401", async () => {
    const revokedKey = await t.key();
    const [record] = await t.repos.apiKeys.list();
    await t.repos.apiKeys.revoke(record!.id);
    const res = await call({ authorization: `Bearer ${revokedKey}` });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toContain("revoked");
  });

  it("rejects an expired key with 401", async () => {
    const { createRepositories } = await import("@waygate/core");
    const past = createRepositories(t.db, {
      secretKey: (await import("./helpers.js")).SECRET_KEY,
      clock: () => Date.now() - 3_600_000,
    });
    const { plaintext } = await past.apiKeys.create({
      name: "expired",
      scopes: ["tools:call"],
      expiresAt: new Date(Date.now() - 1_800_000),
    });
    const res = await call({ authorization: `Bearer ${plaintext}` });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toContain("expired");
  });

  it("rejects a key without tools:call with 403 and audits the denial", async () => {
    const listOnly = await t.key(["tools:list"]);
    const res = await call({ authorization: `Bearer ${listOnly}` });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({
      code: "forbidden",
      message: "This API key lacks the 'tools:call' scope",
    });
    const row = (await t.auditRows()).find((r) => r.request_id === res.headers.get("x-request-id"));
    expect(row).toMatchObject({ outcome: "denied" });
  });

  it("rejects a tool outside the key's patterns with 403 and audits the denial", async () => {
    const narrow = await t.key(["tools:call"], { toolPatterns: ["local__slow"] });
    const res = await call({ authorization: `Bearer ${narrow}` });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain("may not call 'local__echo'");
    const row = (await t.auditRows()).find((r) => r.request_id === res.headers.get("x-request-id"));
    expect(row).toMatchObject({ outcome: "denied", server: "local", tool: "echo" });
  });
});

describe("REST listings", () => {
  it("GET /mcp/tools lists namespaced tools with their mapping, filtered by the key's patterns", async () => {
    const res = await get(`${t.url}/mcp/tools`, auth());
    expect(res.status).toBe(200);
    expect(res.body.tools.map((x: { name: string }) => x.name).sort()).toEqual([
      "local__ask",
      "local__chatty",
      "local__confirm",
      "local__echo",
      "local__fail",
      "local__slow",
    ]);
    expect(res.body.tools[0]).toMatchObject({ server: "local", shortened: false });
    const narrow = await t.key(["tools:list"], { toolPatterns: ["local__e*"] });
    const filtered = await get(`${t.url}/mcp/tools`, { authorization: `Bearer ${narrow}` });
    expect(filtered.body.tools.map((x: { name: string }) => x.name)).toEqual(["local__echo"]);
  });

  it("GET /mcp/servers and /mcp/status report each server", async () => {
    const servers = await get(`${t.url}/mcp/servers`, auth());
    expect(servers.body.servers).toEqual([expect.objectContaining({ name: "local", state: "ready" })]);
    const status = await get(`${t.url}/mcp/status`, auth());
    expect(status.body).toMatchObject({ status: "ok", ready: true, inFlightCalls: 0 });
  });

  it("refuses listings to a key without tools:list", async () => {
    const callOnly = await t.key(["tools:call"]);
    const res = await get(`${t.url}/mcp/tools`, { authorization: `Bearer ${callOnly}` });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain("'tools:list'");
  });

  it("POST /mcp/servers/:name/reload needs admin and reloads a known server", async () => {
    expect((await post(`${t.url}/mcp/servers/local/reload`, {}, auth())).status).toBe(403);
    const admin = await t.key(["admin"]);
    const res = await post(`${t.url}/mcp/servers/local/reload`, {}, { authorization: `Bearer ${admin}` });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ reloaded: true, server: { name: "local", state: "ready" } });
    const missing = await post(`${t.url}/mcp/servers/nope/reload`, {}, { authorization: `Bearer ${admin}` });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("unknown_server");
    const events = await t.repos.systemEvents.list({ type: "server.reloaded" });
    expect(events.items.length).toBeGreaterThan(0);
  });
});

describe("diagnostics", () => {
  it("GET /diagnostics/connection and /performance report the database, servers and process figures", async () => {
    const admin = { authorization: `Bearer ${await t.key(["admin"])}` };
    const connection = await get(`${t.url}/diagnostics/connection`, admin);
    expect(connection.status).toBe(200);
    expect(connection.body.database).toMatchObject({ kind: "file", ok: true });
    expect(connection.body.servers[0]).toMatchObject({ name: "local", health: { healthy: true } });
    const performance = await get(`${t.url}/diagnostics/performance`, admin);
    expect(performance.body.memory.rssBytes).toBeGreaterThan(0);
    expect(performance.body).toHaveProperty("eventLoopDelayMs.p99");
    expect((await get(`${t.url}/diagnostics/performance`, auth())).status).toBe(403);
  });
});
