import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, startGateway, type TestGateway } from "./helpers.js";

let t: TestGateway;

beforeAll(async () => {
  t = await startGateway({
    upstreams: { broken: { command: process.execPath, args: ["-e", "process.exit(3)"] } },
  });
});
afterAll(async () => {
  await t?.close();
});

describe("/health", () => {
  it("shows a caller without a key only the overall status and each check's ok, no names, paths or error text", async () => {
    const res = await get(`${t.url}/health`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: "degraded",
      database: { ok: true },
      audit: { ok: true },
      rateLimit: { ok: true },
      servers: { ok: false },
    });
    expect(JSON.stringify(res.body)).not.toContain("broken");
    expect(JSON.stringify(res.body)).not.toContain("local");
  });

  it("shows each server's name, state and last error to a key with metrics:read", async () => {
    const res = await get(`${t.url}/health`, { authorization: `Bearer ${await t.key(["metrics:read"])}` });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("degraded");
    expect(res.body.servers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "local", kind: "plugin", state: "ready" }),
        expect.objectContaining({ name: "broken", kind: "upstream" }),
      ]),
    );
    expect(res.body.servers.find((s: { name: string }) => s.name === "broken").lastError).toBeDefined();
  });

  it("shows the details to an admin key too", async () => {
    const res = await get(`${t.url}/health`, { authorization: `Bearer ${await t.key(["admin"])}` });
    expect(res.body.servers.some((s: { name: string }) => s.name === "local")).toBe(true);
    expect(res.body.database).toMatchObject({ ok: true, latencyMs: expect.any(Number) });
  });

  it("shows a key with only tools scopes the status view", async () => {
    const res = await get(`${t.url}/health`, { authorization: `Bearer ${await t.key()}` });
    expect(res.status).toBe(200);
    expect(res.body.servers).toEqual({ ok: false });
  });

  it("answers an unknown key with 401 rather than a status view", async () => {
    const res = await get(`${t.url}/health`, {
      authorization: "Bearer wg_unknownunkn_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("unauthenticated");
  });

  it("reports the same details through gateway.health() for the process that embeds the gateway", async () => {
    const report = await t.gateway.health();
    expect(report.status).toBe("degraded");
    expect(report.servers.map((s) => s.name).sort()).toEqual(["broken", "local"]);
  });
});
