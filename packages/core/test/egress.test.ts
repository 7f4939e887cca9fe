import dc from "node:diagnostics_channel";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createEgressFetch, type EgressFetch } from "../src/egress/egress-fetch.js";
import {
  CidrSchema,
  createEgressPolicy,
  EgressRefusedError,
  type EgressResolver,
  EgressSettingsSchema,
  parseCidr,
} from "../src/egress/index.js";

/** Every TCP connection attempt any client socket in this process starts, as `address:port`. */
const attempts: string[] = [];
const onSocket = (message: unknown) =>
  (message as { socket: Socket }).socket.on("connectionAttempt", (address: string, port: number) =>
    attempts.push(`${address}:${port}`),
  );

/** A resolver that never asks DNS: tests map names to addresses (private ones included) without network traffic. */
function fakeResolver(names: Record<string, string[]>): EgressResolver {
  return async (hostname) => {
    const addresses = names[hostname];
    if (!addresses)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
}

async function refusal(check: Promise<unknown>): Promise<EgressRefusedError> {
  const error = await check.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!EgressRefusedError.isInstance(error))
    throw new Error(`expected an egress refusal, got ${String(error)}`);
  return error;
}

let server: Server;
let port: number;
let accepted = 0;
const fetches: EgressFetch[] = [];

beforeAll(async () => {
  dc.subscribe("net.client.socket", onSocket);
  server = createServer((req, res) => {
    if (req.url === "/redirect") {
      res.writeHead(307, { location: `http://127.0.0.2:${port}/` }).end();
      return;
    }
    // Each request on a fresh connection, so every request goes through the checked connect.
    res.writeHead(200, { "content-type": "text/plain", connection: "close" }).end("hello");
  });
  server.on("connection", () => accepted++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  dc.unsubscribe("net.client.socket", onSocket);
  await new Promise((resolve) => server.close(resolve));
});

afterEach(async () => {
  attempts.length = 0;
  accepted = 0;
  for (const f of fetches.splice(0)) await f.close();
});

function guarded(options: Parameters<typeof createEgressPolicy>[0]): EgressFetch {
  const f = createEgressFetch(createEgressPolicy(options));
  fetches.push(f);
  return f;
}

describe("egress policy", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["::1", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["192.168.1.1", "private"],
    ["fd12::1", "private"],
    ["169.254.169.254", "link-local"],
    ["fe80::1", "link-local"],
    ["100.64.0.1", "cgnat"],
    ["224.0.0.1", "multicast"],
    ["ff02::1", "multicast"],
    ["0.0.0.0", "unspecified"],
    ["::", "unspecified"],
    ["255.255.255.255", "reserved"],
    ["::ffff:8.8.8.8", "ipv4-mapped"],
  ])("refuses %s by default as %s", (address, kind) => {
    expect(createEgressPolicy().refusalOf(address)).toBe(kind);
  });

  it.each(["8.8.8.8", "2606:4700::1111", "100.128.0.1", "172.32.0.1"])(
    "lets the public address %s through",
    (address) => {
      expect(createEgressPolicy().refusalOf(address)).toBeUndefined();
    },
  );

  it.each([
    ["http://127.1/mcp", "127.0.0.1", "loopback"],
    ["http://0x7f000001/mcp", "127.0.0.1", "loopback"],
    ["http://2130706433/mcp", "127.0.0.1", "loopback"],
    ["http://[::ffff:127.0.0.1]/mcp", "::ffff:7f00:1", "ipv4-mapped"],
    ["http://0.0.0.0/mcp", "0.0.0.0", "unspecified"],
  ])("refuses the alias %s as %s %s", async (url, address, kind) => {
    const error = await refusal(createEgressPolicy().checkUrl(url));
    expect(error).toMatchObject({ code: "EGRESS_REFUSED", address, addressClass: kind });
    expect(error.message).toContain('"egress": { "allow": [');
  });

  it("refuses localhost after resolving it through the system resolver (/etc/hosts)", async () => {
    const error = await refusal(createEgressPolicy().checkUrl("http://localhost:1/mcp"));
    expect(error.addressClass).toBe("loopback");
    expect(error.message).toMatch(
      /Refused to reach (127\.0\.0\.1|::1) \(resolved from localhost\): it is a loopback address/,
    );
  });

  it("refuses a name when any one of its addresses is refused", async () => {
    const policy = createEgressPolicy({
      resolve: fakeResolver({ "mixed.test": ["8.8.8.8", "10.0.0.5"], "public.test": ["8.8.8.8"] }),
    });
    expect((await refusal(policy.checkUrl("https://mixed.test/mcp"))).address).toBe("10.0.0.5");
    await expect(policy.checkUrl("https://public.test/mcp")).resolves.toBeUndefined();
  });

  it("allows exactly the networks listed in allow", () => {
    const policy = createEgressPolicy({ allow: ["127.0.0.1/32", "fd00::/8"] });
    expect(policy.refusalOf("127.0.0.1")).toBeUndefined();
    expect(policy.refusalOf("::ffff:127.0.0.1")).toBeUndefined();
    expect(policy.refusalOf("fd00::5")).toBeUndefined();
    expect(policy.refusalOf("127.0.0.2")).toBe("loopback");
    expect(policy.refusalOf("fc00::5")).toBe("private");
  });

  it("accepts CIDR networks and single addresses in the settings", () => {
    expect(EgressSettingsSchema.parse({ allow: ["10.0.0.0/8", "fd00::/8", "127.0.0.1"] }).allow).toHaveLength(
      3,
    );
    expect(EgressSettingsSchema.parse({}).allow).toEqual([]);
  });

  it.each([
    "10.0.0.0/33",
    "not-a-network",
    "10.0.0.0/8/1",
    "10.0.0.0/",
    "fd00::/129",
    "localhost",
    "10.0.0.0/8x",
    "10.0.0.0/x8",
    "10.0.0.0/-8",
  ])("rejects %s as a network with a message naming the notation", (value) => {
    const parsed = CidrSchema.safeParse(value);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toContain("CIDR notation");
  });

  it("reads a bare address as one host and ignores surrounding blanks", () => {
    expect(parseCidr("127.0.0.1")).toEqual({ address: "127.0.0.1", prefix: 32, family: "ipv4" });
    expect(parseCidr("fd00::1")).toEqual({ address: "fd00::1", prefix: 128, family: "ipv6" });
    expect(parseCidr(" 10.0.0.0/8 ")).toEqual({ address: "10.0.0.0", prefix: 8, family: "ipv4" });
    expect(parseCidr("fd00::/8")).toEqual({ address: "fd00::", prefix: 8, family: "ipv6" });
  });

  it("allows one host for a bare address, not its neighbours", () => {
    const policy = createEgressPolicy({ allow: ["127.0.0.1"] });
    expect(policy.refusalOf("127.0.0.1")).toBeUndefined();
    expect(policy.refusalOf("127.0.0.2")).toBe("loopback");
  });

  it("refuses a policy whose allow list holds something that is not a network, naming it", () => {
    expect(() => createEgressPolicy({ allow: ["10.0.0.0/8", "intranet"] })).toThrow(
      new TypeError("not a network in CIDR notation: intranet"),
    );
  });

  it("describes the allow setting in the schema the README's configuration reference is built from", () => {
    expect(EgressSettingsSchema.shape.allow.description).toBe(
      "networks (CIDR) that http/sse upstreams may reach although they are loopback, private, link-local, CGNAT, multicast or unspecified",
    );
  });

  it("places a name in no class", () => {
    expect(createEgressPolicy().refusalOf("example.com")).toBeUndefined();
  });

  it("tells the operator exactly what was refused and which network to allow (IPv4 and IPv6 literals)", async () => {
    const policy = createEgressPolicy();
    expect((await refusal(policy.checkUrl("http://10.1.2.3:8080/mcp"))).message).toBe(
      'Refused to reach 10.1.2.3: it is a private address (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7). Upstreams may not reach private addresses unless the operator allows the network in the config file, e.g. "egress": { "allow": ["10.1.2.3/32"] } (the HTTP admin API cannot allow networks).',
    );
    expect((await refusal(policy.checkUrl(new URL("http://[fe80::1]/mcp")))).message).toBe(
      'Refused to reach fe80::1: it is a link-local address (169.254.0.0/16, fe80::/10; cloud metadata lives here). Upstreams may not reach link-local addresses unless the operator allows the network in the config file, e.g. "egress": { "allow": ["fe80::1/128"] } (the HTTP admin API cannot allow networks).',
    );
  });

  it.each([
    ["0.0.0.0", "an unspecified address (0.0.0.0/8, ::)"],
    ["127.0.0.1", "a loopback address (127.0.0.0/8, ::1)"],
    ["192.168.1.1", "a private address (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7)"],
    ["169.254.169.254", "a link-local address (169.254.0.0/16, fe80::/10; cloud metadata lives here)"],
    ["100.64.0.1", "a carrier-grade NAT address (100.64.0.0/10)"],
    ["224.0.0.1", "a multicast address (224.0.0.0/4, ff00::/8)"],
    ["255.255.255.255", "a reserved address (240.0.0.0/4, broadcast)"],
    ["::ffff:8.8.8.8", "an IPv4-mapped IPv6 address (::ffff:0:0/96)"],
  ])("says what %s is: %s", async (address, description) => {
    const error = await refusal(createEgressPolicy().resolve(address));
    expect(error.message).toContain(`: it is ${description}. Upstreams may not reach`);
  });

  it("names the host a refused address was resolved from", async () => {
    const policy = createEgressPolicy({ resolve: fakeResolver({ "db.internal.test": ["10.9.8.7"] }) });
    expect((await refusal(policy.checkUrl("http://db.internal.test/"))).message).toMatch(
      /^Refused to reach 10\.9\.8\.7 \(resolved from db\.internal\.test\): it is a private address/,
    );
  });

  it("takes an IP literal as its own address without asking the resolver, with its family", async () => {
    const asked: string[] = [];
    const policy = createEgressPolicy({
      allow: ["10.0.0.0/8", "fd00::/8"],
      resolve: async (hostname) => {
        asked.push(hostname);
        return [];
      },
    });
    await expect(policy.resolve("10.0.0.1")).resolves.toEqual([{ address: "10.0.0.1", family: 4 }]);
    await expect(policy.resolve("fd00::1")).resolves.toEqual([{ address: "fd00::1", family: 6 }]);
    await expect(policy.checkUrl("http://[fd00::2]:9000/mcp")).resolves.toBeUndefined();
    expect(asked).toEqual([]);
  });

  it("refuses a name that resolves to no address", async () => {
    const policy = createEgressPolicy({ resolve: fakeResolver({ "empty.test": [] }) });
    await expect(policy.checkUrl("http://empty.test/")).rejects.toThrow(
      new Error("empty.test resolved to no address"),
    );
  });

  it("resolves a name through the system resolver into every address with its family", async () => {
    const policy = createEgressPolicy({ allow: ["127.0.0.0/8", "::1/128"] });
    const addresses = await policy.resolve("localhost");
    expect(addresses.length).toBeGreaterThan(0);
    for (const { address, family } of addresses) expect(family).toBe(address.includes(":") ? 6 : 4);
  });

  it("rejects unknown egress settings (the admin API has no way in either)", () => {
    expect(EgressSettingsSchema.safeParse({ allow: [], deny: [] }).success).toBe(false);
  });
});

describe("egress fetch", () => {
  it("reaches an allowed loopback server (positive control: the connection attempt is seen)", async () => {
    const { fetch } = guarded({ allow: ["127.0.0.1/32"] });
    const response = await fetch(`http://127.0.0.1:${port}/`);
    expect(await response.text()).toBe("hello");
    expect(attempts).toEqual([`127.0.0.1:${port}`]);
    expect(accepted).toBe(1);
  });

  it("refuses a loopback server by default without attempting a connection", async () => {
    const { fetch } = guarded({});
    const error = await refusal(fetch(`http://127.0.0.1:${port}/`));
    expect(error.addressClass).toBe("loopback");
    expect(attempts).toEqual([]);
    expect(accepted).toBe(0);
  });

  it("refuses a name that resolves to a private address without attempting a connection", async () => {
    const { fetch } = guarded({ resolve: fakeResolver({ "internal.test": ["10.0.0.5"] }) });
    const error = await refusal(fetch(`http://internal.test:${port}/`));
    expect(error).toMatchObject({ address: "10.0.0.5", addressClass: "private" });
    expect(attempts).toEqual([]);
  });

  it("checks again at every connect, so a name rebound to a refused address is caught (DNS rebinding)", async () => {
    const answers = [["127.0.0.1"], ["169.254.169.254"]];
    let asked = 0;
    const { fetch } = guarded({
      allow: ["127.0.0.1/32"],
      resolve: async () =>
        (answers[Math.min(asked++, 1)] ?? []).map((address) => ({ address, family: 4 as const })),
    });
    expect((await fetch(`http://rebind.test:${port}/`)).status).toBe(200);
    const error = await refusal(fetch(`http://rebind.test:${port}/`));
    expect(error).toMatchObject({ address: "169.254.169.254", addressClass: "link-local" });
    expect(attempts).toEqual([`127.0.0.1:${port}`]);
  });

  it("does not follow a redirect itself, and refuses the hop when the caller follows it", async () => {
    const { fetch } = guarded({ allow: ["127.0.0.1/32"] });
    const response = await fetch(`http://127.0.0.1:${port}/redirect`);
    expect(response.status).toBe(307);
    const location = response.headers.get("location") ?? "";
    expect(location).toBe(`http://127.0.0.2:${port}/`);
    expect((await refusal(fetch(location))).addressClass).toBe("loopback");
    expect(attempts).toEqual([`127.0.0.1:${port}`]);
  });

  it("passes other failures through unchanged (a refused port is not an egress refusal)", async () => {
    const { fetch } = guarded({ allow: ["127.0.0.1/32"] });
    await expect(fetch("http://127.0.0.1:1/")).rejects.toThrow(/fetch failed/);
  });
});
