import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type McpBridgeOptionsInput, McpBridgePlugin } from "../src/bridge/index.js";
import { createTestHarness, type TestHarness } from "../src/testing/index.js";
import {
  freePort,
  misbehavingStdio,
  modernHttpArgs,
  modernStdio,
  processIsGone,
  waitFor,
} from "./helpers.js";

const textOf = (result: { content: unknown[] }) => (result.content[0] as { text: string }).text;

/** The modern fixture over Streamable HTTP, with the stderr lines it wrote (one "request <method>" per POST). */
async function startModernHttp(children: ChildProcess[]) {
  const port = await freePort();
  const child = spawn(process.execPath, modernHttpArgs(port), { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  const requests: string[] = [];
  createInterface({ input: child.stderr! }).on("line", (line) => {
    if (line.startsWith("request ")) requests.push(line.slice("request ".length));
  });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) if (line.includes("listening on")) break;
  return { url: `http://127.0.0.1:${port}/mcp`, requests };
}

describe("McpBridgePlugin across protocol eras", () => {
  const harnesses: TestHarness[] = [];
  const children: ChildProcess[] = [];
  afterEach(async () => {
    await Promise.all(harnesses.splice(0).map((harness) => harness.close()));
    for (const child of children.splice(0)) {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await once(child, "exit");
      }
    }
  });

  const start = async (options: McpBridgeOptionsInput) => {
    const plugin = new McpBridgePlugin({ timeouts: { connectMs: 15_000, callMs: 15_000 }, ...options });
    const harness = await createTestHarness(plugin);
    harnesses.push(harness);
    return { plugin, harness };
  };

  /** Lists, calls with progress, logs and elicitation, reads and prompts through the bridge, from the modern fixture. */
  const expectModernUpstreamServes = async (plugin: McpBridgePlugin, harness: TestHarness) => {
    expect((await harness.listTools()).map((tool) => tool.name).sort()).toEqual([
      "add_tool",
      "echo",
      "elicit",
      "era",
      "log",
      "sample",
      "slow",
      "trace",
    ]);
    expect(textOf(await harness.callTool("era", {}))).toBe("modern");
    expect(textOf(await harness.callTool("echo", { text: "through the bridge" }))).toBe("through the bridge");
    expect(textOf(await harness.callTool("slow", { ms: 90, steps: 3 }))).toBe("slept 90");
    expect(harness.progress).toEqual([
      { progress: 1, total: 3, message: "step 1" },
      { progress: 2, total: 3, message: "step 2" },
      { progress: 3, total: 3, message: "step 3" },
    ]);
    // The 2026 era has no server-to-client requests: the upstream answers input_required and the SDK client
    // fulfils it through the same elicitation handler, which the bridge points at the calling client.
    const elicited = await harness.callTool(
      "elicit",
      { message: "Proceed?" },
      {
        clientRequests: {
          createMessage: () => Promise.reject(new Error("not used")),
          elicitInput: async (params) => ({
            action: "accept",
            content: { ok: params.message === "Proceed?" },
          }),
          listRoots: () => Promise.reject(new Error("not used")),
        },
      },
    );
    expect(textOf(elicited)).toBe('accept {"ok":true}');
    expect(textOf(await harness.callTool("log", { level: "warning", message: "careful" }))).toBe("logged");
    expect(harness.notifications).toContainEqual({ level: "warning", data: "careful" });
    expect((await harness.readResource("modern://status")).contents).toEqual([
      { uri: "modern://status", mimeType: "text/plain", text: "ok" },
    ]);
    expect((await harness.getPrompt("greet", { who: "Ada" })).messages[0]?.content).toEqual({
      type: "text",
      text: "Hello, Ada",
    });
    // 2026-07-28 has no ping: the health check asks server/discover instead.
    expect(await plugin.healthCheck()).toMatchObject({ healthy: true });
  };

  it("bridges a 2026-07-28 stdio server and reports the modern era with its discover result", async () => {
    const { plugin, harness } = await start({ name: "modern", transport: modernStdio() });
    expect(plugin.upstreamEra()).toMatchObject({
      era: "modern",
      protocolVersion: "2026-07-28",
      discover: {
        supportedVersions: expect.arrayContaining(["2026-07-28"]),
        capabilities: { tools: { listChanged: true } },
      },
    });
    await expectModernUpstreamServes(plugin, harness);

    // 2026-era list changes arrive on the subscriptions/listen stream the bridge opened at connect.
    let changed = 0;
    plugin.onListChanged((kind) => {
      if (kind === "tools") changed++;
    });
    expect(textOf(await harness.callTool("add_tool", { name: "late" }))).toBe("added");
    await waitFor("tools/list_changed", () => changed > 0);
    expect((await harness.listTools()).map((tool) => tool.name)).toContain("late");
    const pid = plugin.upstreamPid!;
    await harness.close();
    expect(processIsGone(pid)).toBe(true);
  });

  it("answers each call's input_required rounds from that call's own client, with several calls in flight", async () => {
    const { harness } = await start({ name: "modern", transport: modernStdio() });
    const asker = (who: string) => ({
      createMessage: () => Promise.reject(new Error("not used")),
      elicitInput: async () => {
        // Both calls are in flight before either is answered.
        await new Promise((resolve) => setTimeout(resolve, 50));
        return { action: "accept" as const, content: { who } };
      },
      listRoots: () => Promise.reject(new Error("not used")),
    });
    const [ada, bob] = await Promise.all([
      harness.callTool("elicit", { message: "who?" }, { clientRequests: asker("ada") }),
      harness.callTool("elicit", { message: "who?" }, { clientRequests: asker("bob") }),
    ]);
    expect(textOf(ada)).toBe('accept {"who":"ada"}');
    expect(textOf(bob)).toBe('accept {"who":"bob"}');
  });

  it("bridges a 2026-07-28 Streamable HTTP server, and a stored modern verdict skips the probe", async () => {
    const { url, requests } = await startModernHttp(children);
    const { plugin, harness } = await start({ name: "modern", transport: { type: "http", url } });
    const era = plugin.upstreamEra();
    expect(era).toMatchObject({ era: "modern", protocolVersion: "2026-07-28" });
    expect(requests[0]).toBe("server/discover");
    await expectModernUpstreamServes(plugin, harness);

    // What a host would persist and hand back on its next start: plain JSON.
    const stored = JSON.parse(JSON.stringify(era));
    requests.length = 0;
    const second = await start({
      name: "again",
      transport: { type: "http", url },
      protocol: { prior: stored },
    });
    expect(second.plugin.upstreamEra()).toEqual(era);
    expect(textOf(await second.harness.callTool("era", {}))).toBe("modern");
    expect(requests).not.toContain("server/discover");
  });

  it("reports the legacy era for a 2025 server, and falls back to a probe when a stored verdict is stale", async () => {
    const { plugin } = await start({ name: "legacy", transport: misbehavingStdio() });
    expect(plugin.upstreamEra()).toEqual({ era: "legacy", protocolVersion: "2025-11-25" });

    const modern = await start({ name: "modern", transport: modernStdio() });
    const stale = modern.plugin.upstreamEra();
    const { plugin: upgraded, harness } = await start({
      name: "was-modern",
      transport: misbehavingStdio(),
      protocol: { prior: stale },
    });
    expect(upgraded.upstreamEra()).toEqual({ era: "legacy", protocolVersion: "2025-11-25" });
    expect(textOf(await harness.callTool("echo", { text: "still served" }))).toBe("still served");
    expect(harness.logs.map((line) => line.message)).toContain(
      "connecting with the known protocol era failed; probing the upstream",
    );
  });

  it("takes a stdio server that exits on the server/discover probe for a 2025 server and starts it again", async () => {
    const { plugin, harness } = await start({
      name: "rmcp-like",
      transport: misbehavingStdio(["exit-on-discover"]),
    });
    expect(plugin.upstreamEra()).toEqual({ era: "legacy", protocolVersion: "2025-11-25" });
    expect(textOf(await harness.callTool("echo", { text: "after the probe" }))).toBe("after the probe");
    expect(harness.logs.map((line) => line.message)).toContain(
      "upstream closed the connection on the protocol probe; connecting to it as a 2025 server",
    );
  });

  it("skips the probe entirely with negotiation 'legacy', and then cannot reach a modern-only server", async () => {
    const { plugin } = await start({
      name: "legacy",
      transport: misbehavingStdio(),
      protocol: { negotiation: "legacy" },
    });
    expect(plugin.upstreamEra()).toEqual({ era: "legacy", protocolVersion: "2025-11-25" });
    const refused = new McpBridgePlugin({
      name: "modern",
      transport: modernStdio(),
      protocol: { negotiation: "legacy" },
      timeouts: { connectMs: 15_000 },
    });
    await expect(refused.start()).rejects.toMatchObject({ code: "UPSTREAM_UNAVAILABLE" });
    await refused.shutdown();
  });

  it("lists only what the upstream advertises, writing nothing to stdout", async () => {
    // The SDK answers a list of an unadvertised capability with an empty list and a console.debug line on
    // stdout, which is the MCP channel of a stdio gateway; the bridge must never ask.
    const debug = vi.spyOn(console, "debug");
    try {
      const faultUpstream = fileURLToPath(new URL("../../../fixtures/fault-upstream.ts", import.meta.url));
      const { harness } = await start({
        name: "tools-only",
        transport: {
          type: "stdio",
          command: process.execPath,
          args: ["--import", import.meta.resolve("tsx"), faultUpstream],
        },
      });
      expect((await harness.listTools()).length).toBeGreaterThan(0);
      expect(await harness.listResources()).toEqual([]);
      expect(await harness.listPrompts()).toEqual([]);
      expect(debug).not.toHaveBeenCalled();
    } finally {
      debug.mockRestore();
    }
  });

  it("rejects a stored verdict that is not a server/discover result", () => {
    expect(
      () =>
        new McpBridgePlugin({
          name: "bad",
          transport: modernStdio(),
          protocol: { prior: { era: "modern", discover: { nonsense: true } as never } },
        }),
    ).toThrow(/Invalid options for MCP bridge 'bad': .*protocol\.prior/);
  });
});
