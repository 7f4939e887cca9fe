import { afterEach, describe, expect, it } from "vitest";
import {
  BridgeConfigError,
  BridgeCredentialsError,
  type BridgePolicy,
  type BridgeSetup,
  DENIED_META_KEY,
  GuardedBridge,
  McpBridgePlugin,
} from "../src/bridge/index.js";
import { PluginError } from "../src/index.js";
import { createTestHarness, type TestHarness } from "../src/testing/index.js";
import { SERVER_EVERYTHING } from "./helpers.js";

const textOf = (result: { content: unknown[] }) => (result.content[0] as { text: string }).text;
const everything = {
  type: "stdio" as const,
  command: process.execPath,
  args: [SERVER_EVERYTHING, "stdio"],
};
const timeouts = { callMs: 20_000, connectMs: 20_000 };

/** Hides get-sum, refuses echo messages mentioning "secret", and shouts every forwarded echo. */
const policy: BridgePolicy = {
  hideReason: (tool) => (tool.name === "get-sum" ? "arithmetic is not allowed here" : undefined),
  denyReason: (tool, args) =>
    tool.name === "echo" && String(args.message).includes("secret")
      ? "messages may not mention secrets"
      : undefined,
  prepareArgs: (tool, args) =>
    tool.name === "echo" ? { ...args, message: String(args.message).toUpperCase() } : args,
};

class EverythingBridge extends GuardedBridge<{ shout?: boolean }> {
  readonly #token: string | undefined;

  constructor(token: string | undefined) {
    super({ name: "guarded", version: "1.0.0" });
    this.#token = token;
  }

  protected setup(): BridgeSetup {
    if (!this.#token)
      throw new BridgeCredentialsError("Set EVERYTHING_TOKEN to any value", ["EVERYTHING_TOKEN"]);
    return { upstream: { transport: everything, timeouts }, policy, summary: { mode: "shouting" } };
  }
}

describe("bridge policies against @modelcontextprotocol/server-everything", () => {
  const harnesses: TestHarness[] = [];
  afterEach(async () => {
    await Promise.all(harnesses.splice(0).map((harness) => harness.close()));
  });

  async function start(plugin: McpBridgePlugin | GuardedBridge<{ shout?: boolean }>) {
    const harness = await createTestHarness(plugin);
    harnesses.push(harness);
    return harness;
  }

  it("hides tools the policy hides and answers calls to them as denied, marked in _meta", async () => {
    const harness = await start(
      new McpBridgePlugin({ name: "policed", transport: everything, timeouts }, { policy }),
    );
    const names = (await harness.listTools()).map((tool) => tool.name);
    expect(names).toContain("echo");
    expect(names).not.toContain("get-sum");

    const denied = await harness.callTool("get-sum", { a: 1, b: 2 });
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toBe("Denied by the 'policed' bridge: arithmetic is not allowed here");
    expect(denied._meta?.[DENIED_META_KEY]).toEqual({
      bridge: "policed",
      reason: "arithmetic is not allowed here",
    });
  });

  it("denies a call whose arguments the policy refuses and forwards prepared arguments otherwise", async () => {
    const harness = await start(
      new McpBridgePlugin({ name: "policed", transport: everything, timeouts }, { policy }),
    );
    const denied = await harness.callTool("echo", { message: "my secret" });
    expect(denied._meta?.[DENIED_META_KEY]).toEqual({
      bridge: "policed",
      reason: "messages may not mention secrets",
    });
    expect(textOf(await harness.callTool("echo", { message: "hello" }))).toBe("Echo: HELLO");
  });

  it("denies a call to a tool the upstream does not have, naming the tool", async () => {
    const harness = await start(
      new McpBridgePlugin({ name: "policed", transport: everything, timeouts }, { policy }),
    );
    const denied = await harness.callTool("no-such-tool", {});
    expect(textOf(denied)).toBe("Denied by the 'policed' bridge: the upstream has no tool 'no-such-tool'");
  });

  it("runs a GuardedBridge's policy and shows its summary in health details", async () => {
    const harness = await start(new EverythingBridge("token"));
    expect((await harness.listTools()).map((tool) => tool.name)).not.toContain("get-sum");
    expect(textOf(await harness.callTool("echo", { message: "hi" }))).toBe("Echo: HI");
    const health = await harness.plugin.healthCheck();
    expect(health).toMatchObject({ healthy: true, details: { mode: "shouting", state: "ready" } });
  });

  it("fails a GuardedBridge's start with the BridgeCredentialsError its setup throws, and reports it", async () => {
    const bridge = new EverythingBridge(undefined);
    const error = await bridge.start().catch((caught: unknown) => caught);
    expect(BridgeConfigError.isInstance(error, "BRIDGE_CREDENTIALS_MISSING")).toBe(true);
    expect(PluginError.isInstance(error)).toBe(true);
    expect((error as BridgeConfigError).variables).toEqual(["EVERYTHING_TOKEN"]);
    expect(bridge.getStatus()).toMatchObject({
      state: "failed",
      lastError: { code: "BRIDGE_CREDENTIALS_MISSING" },
    });
    expect(await bridge.healthCheck()).toEqual({
      healthy: false,
      message: "Set EVERYTHING_TOKEN to any value",
      details: { state: "failed", code: "BRIDGE_CREDENTIALS_MISSING" },
    });
    await expect(bridge.subscribeResource("demo://x", () => {})).rejects.toThrow(
      "Cannot subscribe to 'demo://x': bridge 'guarded' is not started",
    );
  });
});
