// An upstream's protocol era is stored, dated, in the database: a restart (or another replica) connects from the
// stored verdict without probing, a changed URL or a verdict past the horizon is probed again.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { connectClient, startGateway, type TestGateway } from "./helpers.js";

const FIXTURE = fileURLToPath(new URL("../../../fixtures/modern-server.ts", import.meta.url));
const children: ChildProcess[] = [];
/** The fixtures listen on loopback, which the egress policy refuses unless allowed. */
const LOOPBACK = { allow: ["127.0.0.1/32"] };
const gateways: TestGateway[] = [];

/** The fixture over HTTP, and the MCP methods of the POSTs it received (from its stderr). */
async function fixture(legacy = false) {
  const child = spawn(
    process.execPath,
    [
      "--import",
      import.meta.resolve("tsx"),
      FIXTURE,
      "--http",
      "--port",
      "0",
      ...(legacy ? ["--legacy"] : []),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  children.push(child);
  const requests: string[] = [];
  createInterface({ input: child.stderr! }).on("line", (line) => {
    if (line.startsWith("request ")) requests.push(line.slice("request ".length));
  });
  for await (const line of createInterface({ input: child.stdout! })) {
    const url = /listening on (\S+)/.exec(line)?.[1];
    if (url) return { url, probes: () => requests.filter((method) => method === "server/discover").length };
  }
  throw new Error("the fixture exited before listening");
}

afterAll(async () => {
  for (const g of gateways) await g.close().catch(() => {});
  for (const child of children) {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
  }
});

/** Calls the upstream's `era` tool through the gateway, so the upstream is surely connected. */
async function eraThrough(g: TestGateway, keys: TestGateway = g): Promise<string> {
  // A gateway started on another's database takes that database's keys.
  const client = await connectClient(`${g.url}/mcp`, await keys.key());
  try {
    const result = await client.callTool({ name: "up__era", arguments: {} });
    return (result.content as { text: string }[])[0]!.text;
  } finally {
    await client.close();
  }
}

describe("stored upstream eras", () => {
  it("a restart on the same database connects to a 2026-07-28 upstream without probing it", async () => {
    const modern = await fixture();
    const first = await startGateway({ upstreams: { up: { url: modern.url } }, egress: LOOPBACK });
    gateways.push(first);
    expect(await eraThrough(first)).toBe("modern");
    await expect
      .poll(async () => (await first.repos.upstreamEras.list()).map((r) => r.verdict.era))
      .toEqual(["modern"]);
    const probed = modern.probes();
    expect(probed).toBeGreaterThan(0);
    await first.gateway.close({ deadlineMs: 2000 });

    const second = await startGateway({
      database: first.db,
      upstreams: { up: { url: modern.url } },
      egress: LOOPBACK,
    });
    gateways.push(second);
    expect(await eraThrough(second, first)).toBe("modern");
    expect(modern.probes()).toBe(probed);
    await second.gateway.close({ deadlineMs: 2000 });

    // Past the horizon the stored verdict is not used: the upstream is probed, and the verdict dated anew.
    const stored = (await first.repos.upstreamEras.list())[0]!.checkedAt;
    const third = await startGateway({
      database: first.db,
      upstreams: { up: { url: modern.url } },
      egress: LOOPBACK,
      upstreamEraHorizonMs: 1,
    });
    gateways.push(third);
    expect(await eraThrough(third, first)).toBe("modern");
    expect(modern.probes()).toBe(probed + 1);
    await expect
      .poll(async () => (await first.repos.upstreamEras.list())[0]!.checkedAt.getTime())
      .toBeGreaterThan(stored.getTime());
  });

  it("a verdict stored for another URL is not used, and a 2025 upstream is stored as legacy", async () => {
    const modern = await fixture();
    const legacy = await fixture(true);
    const first = await startGateway({ upstreams: { up: { url: modern.url } }, egress: LOOPBACK });
    gateways.push(first);
    expect(await eraThrough(first)).toBe("modern");
    await expect.poll(async () => (await first.repos.upstreamEras.list()).length).toBe(1);
    await first.gateway.close({ deadlineMs: 2000 });

    // Same name, another upstream: the modern verdict would be wrong for it, so it is probed and stored anew.
    const second = await startGateway({
      database: first.db,
      upstreams: { up: { url: legacy.url } },
      egress: LOOPBACK,
    });
    gateways.push(second);
    expect(await eraThrough(second, first)).toBe("legacy");
    expect(legacy.probes()).toBe(1);
    await expect
      .poll(async () => (await first.repos.upstreamEras.list()).map((r) => r.verdict))
      .toEqual([{ era: "legacy" }]);
  });
});
