import dc from "node:diagnostics_channel";
import type { Socket } from "node:net";
import type { EgressResolver } from "@waygate/core/egress";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { get, post, startGateway, type TestGateway } from "./helpers.js";

/** TCP connection attempts this process starts, as `address:port` (the test's own requests included). */
const attempts: string[] = [];
const onSocket = (message: unknown) =>
  (message as { socket: Socket }).socket.on("connectionAttempt", (address: string, port: number) =>
    attempts.push(`${address}:${port}`),
  );

/** Names mapped to addresses without asking DNS, so refusals of private addresses send nothing anywhere. */
function fakeResolver(names: Record<string, string[] | (() => string[])>): EgressResolver {
  return async (hostname) => {
    const entry = names[hostname];
    const addresses = typeof entry === "function" ? entry() : entry;
    if (!addresses)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
}

// A real MCP server on loopback: another gateway serving its `local` plugin without keys.
let upstream: TestGateway;
let upstreamPort: string;
let upstreamMcp: string;
const started: TestGateway[] = [];
const attemptsOnUpstream = () => attempts.filter((a) => a.endsWith(`:${upstreamPort}`));

beforeAll(async () => {
  dc.subscribe("net.client.socket", onSocket);
  upstream = await startGateway({ auth: "none" });
  upstreamPort = new URL(upstream.url).port;
  upstreamMcp = `${upstream.url}/servers/local/mcp`;
});

afterAll(async () => {
  dc.unsubscribe("net.client.socket", onSocket);
  await upstream.close();
});

afterEach(async () => {
  for (const t of started.splice(0)) await t.close();
  attempts.length = 0;
});

async function gatewayWith(overrides: Parameters<typeof startGateway>[0]) {
  const t = await startGateway(overrides);
  started.push(t);
  return { t, admin: { authorization: `Bearer ${await t.key(["admin"])}` } };
}

describe("egress of http/sse upstreams", () => {
  it("adds a loopback upstream when the config allows its network, and serves its tools (positive control)", async () => {
    const { t, admin } = await gatewayWith({ egress: { allow: ["127.0.0.1/32"] } });
    const added = await post(`${t.url}/admin/servers`, { name: "up", url: upstreamMcp }, admin);
    expect(added.status).toBe(201);
    expect(added.body.server).toMatchObject({ name: "up", state: "ready" });
    const tools = await get(`${t.url}/mcp/tools`, admin);
    expect(tools.body.tools.map((x: { name: string }) => x.name)).toContain("up__echo");
    expect(attemptsOnUpstream().length).toBeGreaterThan(0);
  });

  it.each([
    ["127.0.0.1", (port: string) => `http://127.0.0.1:${port}/servers/local/mcp`, "loopback"],
    ["127.1", (port: string) => `http://127.1:${port}/servers/local/mcp`, "loopback"],
    ["0x7f000001", (port: string) => `http://0x7f000001:${port}/servers/local/mcp`, "loopback"],
    ["[::ffff:127.0.0.1]", (port: string) => `http://[::ffff:127.0.0.1]:${port}/mcp`, "ipv4-mapped"],
    ["0.0.0.0", (port: string) => `http://0.0.0.0:${port}/mcp`, "unspecified"],
    ["localhost", (port: string) => `http://localhost:${port}/servers/local/mcp`, "loopback"],
  ])(
    "refuses POST /admin/servers at %s with 403 naming the class and egress.allow, storing and contacting nothing",
    async (_alias, url, kind) => {
      const { t, admin } = await gatewayWith({});
      const res = await post(`${t.url}/admin/servers`, { name: "evil", url: url(upstreamPort) }, admin);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe("forbidden");
      expect(res.body.error.message).toContain(`Upstreams may not reach ${kind} addresses`);
      expect(res.body.error.message).toContain('"egress": { "allow": [');
      expect(await t.repos.mcpServers.get("evil")).toBeNull();
      expect(attemptsOnUpstream()).toEqual([]);
    },
  );

  it.each([
    ["metadata.test", "169.254.169.254", "link-local"],
    ["intranet.test", "10.0.0.5", "private"],
    ["carrier.test", "100.64.1.1", "cgnat"],
    ["ula.test", "fd00::5", "private"],
  ])(
    "refuses a name (%s) that resolves to %s with 403 (%s) before any connection",
    async (name, address, kind) => {
      const { t, admin } = await gatewayWith({ egress: { resolve: fakeResolver({ [name]: [address] }) } });
      const res = await post(`${t.url}/admin/servers`, { name: "evil", url: `https://${name}/mcp` }, admin);
      expect(res.status).toBe(403);
      expect(res.body.error.message).toContain(`Refused to reach ${address} (resolved from ${name})`);
      expect(res.body.error.message).toContain(kind);
      expect(attempts.filter((a) => a.startsWith(address))).toEqual([]);
    },
  );

  it("answers 400 naming the host when an upstream's name does not resolve", async () => {
    const { t, admin } = await gatewayWith({ egress: { resolve: fakeResolver({}) } });
    const res = await post(
      `${t.url}/admin/servers`,
      { name: "nowhere", url: "https://nowhere.test/mcp" },
      admin,
    );
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("Cannot resolve the upstream host nowhere.test");
    expect(await t.repos.mcpServers.get("nowhere")).toBeNull();
  });

  it("catches a name rebound to a refused address between the admin check and the connect (DNS rebinding)", async () => {
    let asked = 0;
    const resolve = fakeResolver({
      "rebind.test": () => (asked++ === 0 ? ["127.0.0.1"] : ["169.254.169.254"]),
    });
    const { t, admin } = await gatewayWith({ egress: { allow: ["127.0.0.1/32"], resolve } });
    const url = `http://rebind.test:${upstreamPort}/servers/local/mcp`;
    const res = await post(`${t.url}/admin/servers`, { name: "rebound", url }, admin);
    expect(res.status).toBe(201);
    expect(res.body.server.state).not.toBe("ready");
    expect(res.body.server.lastError.message).toContain(
      "Refused to reach 169.254.169.254 (resolved from rebind.test)",
    );
    expect(attempts.filter((a) => a.startsWith("169.254."))).toEqual([]);
    expect(attemptsOnUpstream()).toEqual([]);
  });

  it("never connects to a configured upstream at a refused address; its lastError names the class and the fix", async () => {
    const { t, admin } = await gatewayWith({ upstreams: { lo: { url: upstreamMcp } } });
    const servers = (await get(`${t.url}/admin/servers`, admin)).body.servers as {
      name: string;
      state: string;
      lastError?: { message: string };
    }[];
    const lo = servers.find((s) => s.name === "lo");
    expect(lo?.state).not.toBe("ready");
    expect(lo?.lastError?.message).toContain("it is a loopback address");
    expect(lo?.lastError?.message).toContain('"egress": { "allow": ["127.0.0.1/32"] }');
    expect(attemptsOnUpstream()).toEqual([]);
  });

  it("stores a server added with enabled: false without contacting it; enabling it connects (positive control)", async () => {
    const { t, admin } = await gatewayWith({ egress: { allow: ["127.0.0.1/32"] } });
    const res = await post(
      `${t.url}/admin/servers`,
      { name: "later", url: upstreamMcp, enabled: false },
      admin,
    );
    expect(res.status).toBe(201);
    expect(res.body.server).toEqual({ name: "later", state: "disabled" });
    expect((await t.repos.mcpServers.get("later"))?.config.enabled).toBe(false);
    expect(attemptsOnUpstream()).toEqual([]);

    const enabled = await post(`${t.url}/admin/servers/later/enable`, {}, admin);
    expect(enabled.body.server).toMatchObject({ name: "later", state: "ready" });
    expect(attemptsOnUpstream().length).toBeGreaterThan(0);
  });

  it("rejects an egress.allow entry that is not a CIDR network when the gateway is created", async () => {
    await expect(startGateway({ egress: { allow: ["10.0.0.0/99"] } })).rejects.toThrow(
      /egress\.allow\.0: must be a network in CIDR notation/,
    );
  });
});
