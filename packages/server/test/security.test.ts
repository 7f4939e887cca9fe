import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type TestGateway } from "./helpers.js";

interface RawResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: bodies are asserted field by field.
  body: any;
}

/** Sends a request with a Host header of our choosing (fetch does not allow setting Host). */
function send(
  url: string,
  options: { method?: string; path: string; host: string; headers?: Record<string, string>; body?: unknown },
): Promise<RawResponse> {
  const target = new URL(url);
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: options.path,
        method: options.method ?? "GET",
        headers: {
          host: options.host,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...options.headers,
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {}
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const LOOPBACK_ONLY =
  "with auth 'none' only loopback names (localhost, 127.0.0.1, [::1]) are accepted; use auth 'required' to serve other names";

describe("Host and Origin checks with auth 'none' (DNS rebinding)", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startGateway({ auth: "none", allowedHosts: ["gateway.internal"] });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("refuses POST /mcp/execute from a rebound name with 403 forbidden naming the Host", async () => {
    const res = await send(t.url, {
      method: "POST",
      path: "/mcp/execute",
      host: "attacker.example",
      body: { tool: "local__echo", arguments: { text: "x" } },
    });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({
      code: "forbidden",
      message: `Host header 'attacker.example' is not allowed: ${LOOPBACK_ONLY}`,
    });
    expect(await t.auditRows()).toEqual([]);
  });

  it("refuses POST /admin/servers from a rebound name with 403 and stores nothing", async () => {
    const res = await send(t.url, {
      method: "POST",
      path: "/admin/servers",
      host: "attacker.example:3000",
      body: { name: "evil", url: "http://127.0.0.1:1/mcp" },
    });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("forbidden");
    expect(await t.repos.mcpServers.get("evil")).toBeNull();
  });

  it("refuses a configured non-loopback name too, since nothing but loopback may be served without keys", async () => {
    const res = await send(t.url, { path: "/mcp/tools", host: "gateway.internal" });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe(`Host header 'gateway.internal' is not allowed: ${LOOPBACK_ONLY}`);
  });

  it("serves loopback Host values on the REST and admin routes", async () => {
    for (const host of ["localhost:3000", "127.0.0.1", "[::1]:8080"]) {
      const res = await send(t.url, { path: "/admin/servers", host });
      expect(res.status).toBe(200);
    }
  });

  it("refuses a foreign Origin on a REST route with 403 naming the setting", async () => {
    const res = await send(t.url, {
      method: "POST",
      path: "/mcp/execute",
      host: "127.0.0.1",
      headers: { origin: "http://attacker.example" },
      body: { tool: "local__echo", arguments: { text: "x" } },
    });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({
      code: "forbidden",
      message: "Origin 'http://attacker.example' is not allowed; add it to corsOrigins (CORS_ORIGINS)",
    });
  });

  it("answers /health from a rebound name with the status view only (no server names)", async () => {
    const res = await send(t.url, { path: "/health", host: "attacker.example" });
    expect(res.status).toBe(200);
    expect(res.body.servers).toEqual({ ok: true });
    const local = await send(t.url, { path: "/health", host: "127.0.0.1" });
    expect(local.body.servers).toEqual([expect.objectContaining({ name: "local" })]);
  });
});

describe("Host check with keys and allowedHosts", () => {
  let t: TestGateway;
  let key: string;
  beforeAll(async () => {
    t = await startGateway({ allowedHosts: ["gateway.internal"] });
    key = await t.key(["admin"]);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("refuses an unlisted Host on the REST routes with 403 naming the setting", async () => {
    const res = await send(t.url, {
      path: "/mcp/tools",
      host: "attacker.example",
      headers: { authorization: `Bearer ${key}` },
    });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({
      code: "forbidden",
      message:
        "Host header 'attacker.example' is not allowed; add it to allowedHosts (gateway.allowedHosts in the config file)",
    });
  });

  it("serves a listed Host on the REST and admin routes", async () => {
    const headers = { authorization: `Bearer ${key}` };
    expect((await send(t.url, { path: "/mcp/tools", host: "gateway.internal", headers })).status).toBe(200);
    expect((await send(t.url, { path: "/admin/keys", host: "gateway.internal:443", headers })).status).toBe(
      200,
    );
  });

  it("accepts the gateway's own origin for a listed Host (the console's pages), and no other", async () => {
    const headers = { authorization: `Bearer ${key}` };
    const same = await send(t.url, {
      path: "/admin/keys",
      host: "gateway.internal",
      headers: { ...headers, origin: "https://gateway.internal" },
    });
    expect(same.status).toBe(200);
    const other = await send(t.url, {
      path: "/admin/keys",
      host: "gateway.internal",
      headers: { ...headers, origin: "https://attacker.example" },
    });
    expect(other.status).toBe(403);
    expect(other.body.error.message).toBe(
      "Origin 'https://attacker.example' is not allowed; add it to corsOrigins (CORS_ORIGINS)",
    );
    // An Origin equal to an unlisted Host is still refused by the Host check first.
    const rebound = await send(t.url, {
      path: "/admin/keys",
      host: "attacker.example",
      headers: { ...headers, origin: "http://attacker.example" },
    });
    expect(rebound.status).toBe(403);
  });

  it("answers probes of /livez, /health and /ready that send the pod's IP as Host, as Kubernetes does", async () => {
    const live = await send(t.url, { path: "/livez", host: "10.1.2.3:3000" });
    expect(live.status).toBe(200);
    expect(live.body).toEqual({ live: true });
    const health = await send(t.url, { path: "/health", host: "10.1.2.3:3000" });
    expect(health.status).toBe(200);
    expect(health.body.status).toBe("ok");
    const ready = await send(t.url, { path: "/ready", host: "10.1.2.3:3000" });
    expect(ready.status).toBe(200);
    expect(ready.body.ready).toBe(true);
  });
});

describe("Origin check when the Host check is off (bound to all interfaces, no allowedHosts)", () => {
  it("does not accept an Origin just because it equals the Host header sent", async () => {
    const t = await startGateway({ host: "0.0.0.0" });
    try {
      const res = await send(t.url, {
        path: "/admin/keys",
        host: "attacker.example",
        headers: { authorization: `Bearer ${await t.key(["admin"])}`, origin: "http://attacker.example" },
      });
      expect(res.status).toBe(403);
      expect(res.body.error.message).toContain("Origin 'http://attacker.example' is not allowed");
    } finally {
      await t.close();
    }
  });
});
