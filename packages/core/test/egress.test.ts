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

  it.each(["10.0.0.0/33", "not-a-network", "10.0.0.0/8/1", "10.0.0.0/", "fd00::/129", "localhost"])(
    "rejects %s as a network with a message naming the notation",
    (value) => {
      const parsed = CidrSchema.safeParse(value);
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.message).toContain("CIDR notation");
    },
  );

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
