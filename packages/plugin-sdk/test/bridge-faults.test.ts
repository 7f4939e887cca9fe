import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type McpBridgeOptionsInput, McpBridgePlugin } from "../src/bridge/index.js";
import { PluginConfigError } from "../src/index.js";
import { createTestHarness, type TestHarness } from "../src/testing/index.js";
import { childPids, misbehavingStdio, processIsGone, waitFor } from "./helpers.js";

const textOf = (result: { content: unknown[] }) => (result.content[0] as { text: string }).text;

describe("McpBridgePlugin against the misbehaving fixture", () => {
  const open: TestHarness[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((harness) => harness.close()));
  });

  async function bridge(options: Partial<McpBridgeOptionsInput> & { modes?: string[] } = {}) {
    const { modes, ...rest } = options;
    const plugin = new McpBridgePlugin({
      name: "flaky",
      transport: misbehavingStdio(modes),
      timeouts: { callMs: 2_000, connectMs: 15_000, killGraceMs: 500 },
      restart: { initialDelayMs: 20, maxDelayMs: 100, maxAttempts: 3 },
      ...rest,
    });
    const harness = await createTestHarness(plugin);
    open.push(harness);
    return { plugin, harness };
  }

  it("mirrors the upstream's tools, resources and prompts and forwards calls", async () => {
    const { harness } = await bridge();
    const names = (await harness.listTools()).map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(["echo", "hang", "exit_mid_call", "oversize"]));
    expect(await harness.callTool("echo", { text: "hello" })).toEqual({
      content: [{ type: "text", text: "hello" }],
    });
    expect((await harness.listResources()).map((r) => r.uri)).toEqual(["misbehaving://status"]);
    expect((await harness.readResource("misbehaving://status")).contents[0]).toMatchObject({ text: "ok" });
    const prompt = await harness.getPrompt("greet", { who: "Ada" });
    expect(prompt.messages[0]?.content).toEqual({ type: "text", text: "Hello Ada" });
    expect(harness.status()).toEqual({ state: "ready", restarts: 0 });
    expect(await harness.plugin.healthCheck()).toMatchObject({ healthy: true });
  });

  it("passes the upstream's own tool errors through as isError results", async () => {
    const { harness } = await bridge();
    const result = await harness.callTool("echo", { text: 5 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/text/);
  });

  it("answers a call with a clear error when the upstream exits mid-call, then restarts it", async () => {
    const { plugin, harness } = await bridge();
    const firstPid = plugin.upstreamPid;
    const result = await harness.callTool("exit_mid_call", { code: 7 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(
      "Upstream 'flaky' closed the connection during tools/call 'exit_mid_call' (upstream exited with code 7); the bridge is reconnecting",
    );
    await waitFor("restart", () => harness.status().state === "ready" && harness.status().restarts === 1);
    expect(harness.status().lastError?.message).toContain("exited with code 7");
    expect(await harness.callTool("echo", { text: "back" })).toEqual({
      content: [{ type: "text", text: "back" }],
    });
    expect(plugin.upstreamPid).not.toBe(firstPid);
    expect(harness.logs.some((line) => line.message === "upstream restarted")).toBe(true);
  });

  it("fails calls clearly while the upstream is restarting", async () => {
    const { harness } = await bridge({
      restart: { initialDelayMs: 1_000, maxDelayMs: 1_000, maxAttempts: 1 },
    });
    await harness.callTool("exit_mid_call", {});
    const result = await harness.callTool("echo", { text: "x" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^Upstream 'flaky' is degraded; last error: .*exited with code 1/);
  });

  it("times out a call that hangs, cancels it upstream, and keeps serving", async () => {
    const { harness } = await bridge({ timeouts: { callMs: 300, connectMs: 15_000 } });
    const result = await harness.callTool("hang", {});
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(
      "Upstream 'flaky' did not answer tools/call 'hang' within 300 ms; the request was cancelled upstream",
    );
    expect(await harness.callTool("echo", { text: "still here" })).toEqual({
      content: [{ type: "text", text: "still here" }],
    });
    expect(harness.status().state).toBe("ready");
  });

  it("reads the callTimeoutMs hook per request, so a changed host deadline reaches a running bridge", async () => {
    let deadline = 300;
    const plugin = new McpBridgePlugin(
      {
        name: "flaky",
        transport: misbehavingStdio(),
        timeouts: { callMs: 60_000, connectMs: 15_000, killGraceMs: 500 },
      },
      { callTimeoutMs: () => deadline },
    );
    const harness = await createTestHarness(plugin);
    open.push(harness);
    expect(textOf(await harness.callTool("hang", {}))).toContain("within 300 ms");
    deadline = 450;
    expect(textOf(await harness.callTool("hang", {}))).toContain("within 450 ms");
  });

  it("cancels an upstream call when the caller aborts", async () => {
    const { harness } = await bridge();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const result = await harness.callTool("hang", {}, { signal: controller.signal });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe("tools/call 'hang' on upstream 'flaky' was cancelled by the caller");
  });

  it("logs non-JSON stdout lines as protocol warnings and still answers the call", async () => {
    const { harness } = await bridge();
    expect(await harness.callTool("noise", { text: "fine" })).toEqual({
      content: [{ type: "text", text: "fine" }],
    });
    const warning = harness.logs.find((line) => line.message === "upstream transport error");
    expect(warning?.meta.error).toBe(
      "upstream wrote a line to stdout that is not JSON-RPC: this line is not JSON-RPC",
    );
    expect(harness.status().state).toBe("ready");
  });

  it("connects to an upstream that writes non-JSON before its first message, logging the line", async () => {
    const { harness } = await bridge({ modes: ["garbage-on-start"] });
    expect(harness.status().state).toBe("ready");
    expect(harness.logs.map((line) => line.meta.error)).toContain(
      "upstream wrote a line to stdout that is not JSON-RPC: garbage before any message",
    );
  });

  it("drops an upstream that sends a message over the size cap, says why, and recovers", async () => {
    const { harness } = await bridge({ maxMessageBytes: 64 * 1024 });
    const result = await harness.callTool("oversize", { bytes: 200_000 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/over the 65536-byte cap/);
    await waitFor("restart", () => harness.status().state === "ready");
    expect(await harness.callTool("oversize", { bytes: 100 })).toMatchObject({
      content: [{ text: "x".repeat(100) }],
    });
  });

  it("fails start with a timeout when the upstream never answers initialize, and kills it", async () => {
    const plugin = new McpBridgePlugin({
      name: "mute",
      transport: misbehavingStdio(["no-initialize"]),
      timeouts: { connectMs: 1_500, killGraceMs: 300 },
    });
    const error = await plugin.start().catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "UPSTREAM_TIMEOUT",
      message: "Upstream 'mute' did not answer initialize within 1500 ms; the request was cancelled upstream",
    });
    expect(plugin.getStatus()).toMatchObject({ state: "failed", lastError: { code: "UPSTREAM_TIMEOUT" } });
    expect(plugin.upstreamPid).toBeUndefined();
    expect(childPids(process.pid).filter((pid) => !processIsGone(pid))).toEqual([]);
    await plugin.shutdown();
  });

  it("fails start with the exit reason when the upstream crashes on start, logging its stderr", async () => {
    const plugin = new McpBridgePlugin({ name: "dead", transport: misbehavingStdio(["crash-on-start"]) });
    const { createMemoryLogger } = await import("../src/index.js");
    const logger = createMemoryLogger();
    const error = await plugin.start({ logger }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "UPSTREAM_CLOSED" });
    expect((error as Error).message).toContain("Upstream 'dead' closed the connection during initialize");
    expect(logger.records).toContainEqual({
      level: "info",
      message: "upstream stderr",
      meta: { plugin: "dead", stream: "stderr", line: "crashing on start" },
    });
    await plugin.shutdown();
  });

  it("gives up after the bounded number of failed restarts and reports failed", async () => {
    const flag = `${process.env.TMPDIR ?? "/tmp"}/waygate-restart-${process.pid}-${Date.now()}`;
    const fixture = misbehavingStdio();
    const script = `if [ -e "${flag}" ]; then echo "refusing to start again" >&2; exit 4; fi; touch "${flag}"; exec "$0" "$@"`;
    const { harness } = await bridge({
      transport: { type: "stdio", command: "sh", args: ["-c", script, fixture.command, ...fixture.args] },
      restart: { initialDelayMs: 10, maxDelayMs: 40, maxAttempts: 2 },
    });
    await harness.callTool("exit_mid_call", {});
    await waitFor("failed", () => harness.status().state === "failed");
    expect(harness.status().lastError?.message).toMatch(
      /^Upstream 'flaky' gave up after 2 restart attempts; last: /,
    );
    const { rmSync } = await import("node:fs");
    rmSync(flag, { force: true });
  });

  it.each([false, true])(
    "kills the upstream's whole process tree on shutdown (own process group: %s)",
    async (own) => {
      const { plugin, harness } = await bridge({
        transport: { ...misbehavingStdio(), ownProcessGroup: own },
      });
      const serverPid = plugin.upstreamPid!;
      const grandchild = Number(textOf(await harness.callTool("spawn_child", {})));
      expect(processIsGone(grandchild)).toBe(false);
      await harness.close();
      await waitFor("grandchild to die", () => processIsGone(grandchild), 5_000);
      expect(processIsGone(serverPid)).toBe(true);
      expect(harness.status().state).toBe("stopped");
    },
  );

  it("sends the upstream's stderr to the logger and forwards its log notifications to the caller", async () => {
    const { harness } = await bridge();
    await harness.callTool("stderr", { text: "a line on stderr" });
    await waitFor("stderr line", () => harness.logs.some((line) => line.meta.line === "a line on stderr"));
    await harness.callTool("log", { level: "warning", message: "careful" });
    expect(harness.notifications).toContainEqual({ level: "warning", data: "careful" });
    expect(harness.logs).toContainEqual(
      expect.objectContaining({
        level: "warn",
        message: "upstream log",
        meta: expect.objectContaining({ data: "careful" }),
      }),
    );
  });

  it("forwards progress notifications to the caller", async () => {
    const { harness } = await bridge();
    await harness.callTool("slow", { ms: 90, steps: 3 });
    expect(harness.progress).toEqual([
      { progress: 1, total: 3, message: "step 1" },
      { progress: 2, total: 3, message: "step 2" },
      { progress: 3, total: 3, message: "step 3" },
    ]);
  });

  it("asks the upstream for no progress when the caller wants none, and still answers", async () => {
    const { harness } = await bridge();
    const result = await harness.callTool("slow", { ms: 30, steps: 3 }, { wantsProgress: false });
    expect(result.isError).not.toBe(true);
    // The fixture sends progress only for a request that carries a progress token.
    expect(harness.progress).toEqual([]);
  });

  it("refreshes its tool list and notifies listeners on tools/list_changed", async () => {
    const { harness } = await bridge();
    const changes: string[] = [];
    harness.plugin.onListChanged((kind) => changes.push(kind));
    await harness.callTool("add_tool", { name: "brand_new" });
    await waitFor("list_changed", () => changes.includes("tools"));
    expect((await harness.listTools()).map((tool) => tool.name)).toContain("brand_new");
  });

  it("forwards sampling and roots requests to the calling client, and refuses them without one", async () => {
    const plugin = new McpBridgePlugin({ name: "asker", transport: misbehavingStdio() });
    const harness = await createTestHarness(plugin, {
      clientRequests: {
        createMessage: async (params) => ({
          role: "assistant",
          model: "test-model",
          content: {
            type: "text",
            text: `model saw: ${(params.messages[0]?.content as { text?: string } | undefined)?.text}`,
          },
        }),
        elicitInput: async () => ({ action: "decline" }),
        listRoots: async () => ({ roots: [{ uri: "file:///work" }] }),
      },
    });
    open.push(harness);
    expect(textOf(await harness.callTool("sample", { prompt: "hi" }))).toBe("model saw: hi");
    expect(textOf(await harness.callTool("roots", {}))).toBe('["file:///work"]');

    const { harness: bare } = await bridge();
    const refused = await bare.callTool("sample", { prompt: "hi" });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain("No client is available to answer sampling/createMessage for 'flaky'");
  });

  it("forwards elicitation requests to the calling client", async () => {
    const { harness } = await bridge();
    const result = await harness.callTool(
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
    expect(textOf(result)).toBe('accept {"ok":true}');
  });

  it("never sends one caller's upstream request to another caller: with calls overlapping it uses the host hook", async () => {
    const asked: string[] = [];
    const answering = (who: string) => ({
      createMessage: async () => {
        asked.push(who);
        return {
          role: "assistant" as const,
          model: "m",
          content: { type: "text" as const, text: `from ${who}` },
        };
      },
      elicitInput: async () => ({ action: "cancel" as const }),
      listRoots: async () => ({ roots: [] }),
    });
    const plugin = new McpBridgePlugin(
      { name: "shared", transport: misbehavingStdio() },
      { clientRequests: answering("host") },
    );
    const harness = await createTestHarness(plugin);
    open.push(harness);
    const other = harness.callTool("slow", { ms: 400 }, { clientRequests: answering("other caller") });
    const mine = await harness.callTool("sample", { prompt: "hi" }, { clientRequests: answering("me") });
    await other;
    expect(textOf(mine)).toBe("from host");
    expect(asked).toEqual(["host"]);
  });

  it("can be started again, replacing the old process instead of leaking it", async () => {
    const { plugin, harness } = await bridge();
    const firstPid = plugin.upstreamPid!;
    await plugin.start();
    expect(plugin.upstreamPid).not.toBe(firstPid);
    await waitFor("old process to exit", () => processIsGone(firstPid), 5_000);
    expect(await harness.callTool("echo", { text: "again" })).toEqual({
      content: [{ type: "text", text: "again" }],
    });
  });

  it("starts no new upstream when shut down while a restart is connecting (the retry is abandoned)", async () => {
    const marker = join(mkdtempSync(join(tmpdir(), "bridge-restart-")), "started");
    const normal = misbehavingStdio();
    const hangs = misbehavingStdio(["no-initialize"]);
    // The first start answers; every later start never answers initialize, so the restart is still connecting.
    const script = `if [ -e "$0" ]; then exec "$@" ${hangs.args.slice(-2).join(" ")}; else : > "$0"; exec "$@"; fi`;
    const { plugin, harness } = await bridge({
      transport: {
        type: "stdio",
        command: "sh",
        args: ["-c", script, marker, normal.command, ...normal.args],
      },
    });
    const firstPid = plugin.upstreamPid!;
    process.kill(firstPid, "SIGKILL");
    let secondPid = 0;
    await waitFor(
      "the restart to start a second upstream",
      () => {
        secondPid = plugin.upstreamPid ?? 0;
        return secondPid !== 0 && secondPid !== firstPid;
      },
      5_000,
    );
    await harness.close();
    open.splice(open.indexOf(harness), 1);
    await waitFor(
      "the connect to be abandoned",
      () => harness.logs.some((log) => log.message === "upstream connect abandoned: the bridge is stopping"),
      5_000,
    );
    await waitFor("the second upstream to exit", () => processIsGone(secondPid), 5_000);
    expect(childPids(process.pid).filter((pid) => !processIsGone(pid))).toEqual([]);
  });

  it("refuses the upstream when acceptServer returns a reason, passing it the upstream's serverInfo", async () => {
    const seen: string[] = [];
    const plugin = new McpBridgePlugin(
      { name: "self", transport: misbehavingStdio(), timeouts: { connectMs: 15_000, killGraceMs: 500 } },
      {
        acceptServer: (info) => {
          seen.push(info.name);
          return "it is the host itself";
        },
      },
    );
    const error = await plugin.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      code: "UPSTREAM_REFUSED",
      message: "Upstream 'self' was refused: it is the host itself",
    });
    expect(seen).toHaveLength(1);
    expect(plugin.upstreamPid).toBeUndefined();
    await plugin.shutdown();
  });

  it("serves the upstream when acceptServer returns nothing (positive control)", async () => {
    const plugin = new McpBridgePlugin(
      { name: "other", transport: misbehavingStdio(), timeouts: { connectMs: 15_000, killGraceMs: 500 } },
      { acceptServer: () => undefined },
    );
    const harness = await createTestHarness(plugin);
    open.push(harness);
    expect(await harness.callTool("echo", { text: "hi" })).toEqual({
      content: [{ type: "text", text: "hi" }],
    });
  });

  it("rejects bad options with an error naming each field", () => {
    expect(() => new McpBridgePlugin({ name: "x", transport: { type: "stdio", command: "" } })).toThrow(
      PluginConfigError,
    );
    expect(
      () => new McpBridgePlugin({ name: "x", transport: { type: "http", url: "not a url" } as never }),
    ).toThrow(/Invalid options for MCP bridge 'x': transport.url: /);
  });

  it("starts a stdio upstream without the gateway's npm settings (npm_config_*), with the entry's own env", async () => {
    const envFile = join(mkdtempSync(join(tmpdir(), "bridge-env-")), "env");
    const fixture = misbehavingStdio();
    const previous = process.env.npm_config_auto_install_peers;
    process.env.npm_config_auto_install_peers = "true"; // as `pnpm start` leaves it for the gateway
    try {
      await bridge({
        transport: {
          type: "stdio",
          command: "sh",
          args: ["-c", `env > "$0"; exec "$@"`, envFile, fixture.command, ...fixture.args],
          env: { UPSTREAM_SETTING: "kept" },
        },
      });
    } finally {
      if (previous === undefined) delete process.env.npm_config_auto_install_peers;
      else process.env.npm_config_auto_install_peers = previous;
    }
    const { readFileSync } = await import("node:fs");
    const childEnv = readFileSync(envFile, "utf8");
    expect(childEnv).toContain("UPSTREAM_SETTING=kept");
    expect(childEnv).not.toMatch(/^npm_config_/im);
  });

  describe("a failed first start is retried with the crash backoff", () => {
    const failFirstStart = (firstModes: string[]) => {
      const marker = join(mkdtempSync(join(tmpdir(), "bridge-first-start-")), "started");
      const normal = misbehavingStdio();
      const bad = misbehavingStdio(firstModes);
      // The first process misbehaves at start-up; every later one serves normally.
      const script = `if [ -e "$0" ]; then exec "$@"; else : > "$0"; exec "$@" ${bad.args.slice(normal.args.length).join(" ")}; fi`;
      return {
        type: "stdio" as const,
        command: "sh",
        args: ["-c", script, marker, normal.command, ...normal.args],
      };
    };
    const started: McpBridgePlugin[] = [];
    afterEach(async () => {
      await Promise.all(started.splice(0).map((plugin) => plugin.shutdown()));
    });
    const startFailing = async (options: McpBridgeOptionsInput) => {
      const plugin = new McpBridgePlugin(options);
      started.push(plugin);
      const { createMemoryLogger } = await import("../src/index.js");
      const logger = createMemoryLogger();
      const error = await plugin.start({ logger }).catch((e: unknown) => e);
      return { plugin, logger, error };
    };

    it("comes up by itself after the first process exits during initialize, counting one restart", async () => {
      const { plugin, logger, error } = await startFailing({
        name: "late",
        transport: failFirstStart(["crash-on-start"]),
        // Without the 2026 probe, whose early close the bridge already answers by starting the server again.
        protocol: { negotiation: "legacy" },
        timeouts: { callMs: 5_000, connectMs: 15_000, killGraceMs: 500 },
        restart: { initialDelayMs: 20, maxDelayMs: 100, maxAttempts: 3 },
      });
      expect(error).toMatchObject({ code: "UPSTREAM_CLOSED" });
      expect(logger.records.map((record) => record.message)).toContain(
        "upstream failed to start; retrying with backoff",
      );
      await waitFor("the retried start to be ready", () => plugin.getStatus().state === "ready", 20_000);
      expect(plugin.getStatus().restarts).toBe(1);
      const ctx = {
        requestId: "r1",
        signal: new AbortController().signal,
        caller: { keyId: "k", scopes: [] },
        reportProgress: () => {},
      };
      expect(textOf(await plugin.callTool("echo", { text: "back" }, ctx))).toBe("back");
    });

    it("comes up by itself after the first process never answers initialize within connectMs", async () => {
      const { plugin, error } = await startFailing({
        name: "slow-start",
        transport: failFirstStart(["no-initialize"]),
        timeouts: { callMs: 5_000, connectMs: 1_500, killGraceMs: 300 },
        restart: { initialDelayMs: 20, maxDelayMs: 100, maxAttempts: 3 },
      });
      expect(error).toMatchObject({ code: "UPSTREAM_TIMEOUT" });
      // While retrying it stays failed with the reason, so hosts keep answering its calls with that error.
      expect(plugin.getStatus()).toMatchObject({ state: "failed", lastError: { code: "UPSTREAM_TIMEOUT" } });
      await waitFor("the retried start to be ready", () => plugin.getStatus().state === "ready", 20_000);
      expect(plugin.getStatus().restarts).toBe(1);
    });

    it("stays failed, never degraded or connecting, while every retry of a start fails, then gives up", async () => {
      const { plugin, error } = await startFailing({
        name: "never",
        transport: misbehavingStdio(["crash-on-start"]),
        timeouts: { callMs: 5_000, connectMs: 15_000, killGraceMs: 300 },
        restart: { initialDelayMs: 10, maxDelayMs: 40, maxAttempts: 2 },
      });
      expect(error).toMatchObject({ code: "UPSTREAM_CLOSED" });
      const states = new Set<string>();
      plugin.onStatusChange((status) => states.add(status.state));
      await waitFor(
        "the retries to give up",
        () => /gave up after 2 restart attempts/.test(plugin.getStatus().lastError?.message ?? ""),
        20_000,
      );
      expect(plugin.getStatus()).toMatchObject({ state: "failed", restarts: 0 });
      expect([...states]).toEqual(["failed"]);
      expect(childPids(process.pid).filter((pid) => !processIsGone(pid))).toEqual([]);
    });

    it("does not retry a server refused by acceptServer", async () => {
      const plugin = new McpBridgePlugin(
        { name: "refused", transport: misbehavingStdio(), restart: { initialDelayMs: 10, maxAttempts: 3 } },
        { acceptServer: () => "not on the list" },
      );
      started.push(plugin);
      const { createMemoryLogger } = await import("../src/index.js");
      const logger = createMemoryLogger();
      const error = await plugin.start({ logger }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "UPSTREAM_REFUSED" });
      expect(logger.records.map((record) => record.message)).not.toContain(
        "upstream failed to start; retrying with backoff",
      );
      expect(plugin.getStatus().state).toBe("failed");
    });
  });
});
