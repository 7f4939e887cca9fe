import { afterEach, describe, expect, it } from "vitest";
import { type BridgeSetup, GuardedBridge, McpBridgePlugin } from "../src/bridge/index.js";
import { PluginError, type PluginStatus } from "../src/index.js";
import { createTestHarness, type TestHarness } from "../src/testing/index.js";
import { childPids, conformanceStdio, misbehavingStdio, waitFor } from "./helpers.js";

const WATCHED = "test://watched-resource";
const textOf = (result: { content: unknown[] }) => (result.content[0] as { text: string }).text;

/** A GuardedBridge over the conformance fixture that hides nothing and denies nothing. */
class OpenBridge extends GuardedBridge {
  constructor() {
    super({ name: "open", version: "1.0.0" });
  }

  protected setup(): BridgeSetup {
    return {
      upstream: {
        transport: conformanceStdio(),
        timeouts: { callMs: 20_000, connectMs: 20_000 },
        restart: { initialDelayMs: 20, maxDelayMs: 100, maxAttempts: 3 },
      },
      policy: { hideReason: () => undefined, denyReason: () => undefined },
      summary: {},
    };
  }
}

describe("McpBridgePlugin resource subscriptions and status changes", () => {
  const harnesses: TestHarness[] = [];
  afterEach(async () => {
    await Promise.all(harnesses.splice(0).map((harness) => harness.close()));
  });

  async function conformanceBridge(restart = { initialDelayMs: 20, maxDelayMs: 100, maxAttempts: 3 }) {
    const plugin = new McpBridgePlugin({
      name: "conformance",
      transport: conformanceStdio(),
      timeouts: { callMs: 20_000, connectMs: 20_000 },
      restart,
    });
    const harness = await createTestHarness(plugin);
    harnesses.push(harness);
    return { plugin, harness };
  }

  it("routes upstream updates to every subscriber and unsubscribes upstream when the last one leaves", async () => {
    const { plugin, harness } = await conformanceBridge();
    const seen: string[] = [];
    const leaveA = await plugin.subscribeResource(WATCHED, () => seen.push("a"));
    const leaveB = await plugin.subscribeResource(WATCHED, () => seen.push("b"));

    await harness.callTool("test_update_watched_resource", {});
    await waitFor("both subscribers to hear the update", () => seen.length === 2);
    expect(seen.sort()).toEqual(["a", "b"]);

    await leaveA();
    await leaveA();
    await harness.callTool("test_update_watched_resource", {});
    await waitFor("the remaining subscriber to hear the update", () => seen.length === 3);
    expect(seen[2]).toBe("b");

    await leaveB();
    // The fixture answers this way only when its session holds no subscription: the bridge unsubscribed.
    const after = await harness.callTool("test_update_watched_resource", {});
    expect(textOf(after)).toBe(`Not subscribed to ${WATCHED}`);
    expect(seen).toHaveLength(3);
  });

  it("counts subscribers that arrive together, so one leaving keeps the upstream subscription", async () => {
    const { plugin, harness } = await conformanceBridge();
    const [leaveA, leaveB] = await Promise.all([
      plugin.subscribeResource(WATCHED, () => {}),
      plugin.subscribeResource(WATCHED, () => {}),
    ]);
    await leaveA();
    expect(textOf(await harness.callTool("test_update_watched_resource", {}))).not.toContain(
      "Not subscribed",
    );
    await leaveB();
    expect(textOf(await harness.callTool("test_update_watched_resource", {}))).toBe(
      `Not subscribed to ${WATCHED}`,
    );
  });

  it("rejects a subscription to a URI the upstream does not know, naming it, and keeps working", async () => {
    const { plugin, harness } = await conformanceBridge();
    const error = await plugin.subscribeResource("test://nope", () => {}).catch((caught: unknown) => caught);
    expect(PluginError.isInstance(error, "UPSTREAM_UNAVAILABLE")).toBe(true);
    expect((error as Error).message).toContain("resources/subscribe 'test://nope'");

    const leave = await plugin.subscribeResource(WATCHED, () => {});
    const result = await harness.callTool("test_update_watched_resource", {});
    expect(textOf(result)).not.toContain("Not subscribed");
    await leave();
  });

  it("rejects a subscription with RESOURCE_SUBSCRIBE_UNSUPPORTED when the upstream lacks the capability", async () => {
    const plugin = new McpBridgePlugin({ name: "plain", transport: misbehavingStdio() });
    harnesses.push(await createTestHarness(plugin));
    const error = await plugin.subscribeResource("test://x", () => {}).catch((caught: unknown) => caught);
    expect(PluginError.isInstance(error, "RESOURCE_SUBSCRIBE_UNSUPPORTED")).toBe(true);
    expect((error as Error).message).toBe(
      "Cannot subscribe to 'test://x': upstream 'plain' does not offer resource subscriptions (no resources.subscribe capability)",
    );
  });

  it("rejects a subscription before start with UPSTREAM_UNAVAILABLE", async () => {
    const plugin = new McpBridgePlugin({ name: "idle", transport: conformanceStdio() });
    const error = await plugin.subscribeResource(WATCHED, () => {}).catch((caught: unknown) => caught);
    expect(PluginError.isInstance(error, "UPSTREAM_UNAVAILABLE")).toBe(true);
    expect((error as Error).message).toContain("upstream 'idle' is idle");
  });

  it("tells status listeners of a crash and the restart at once, and resubscribes after the restart", async () => {
    const { plugin, harness } = await conformanceBridge();
    const statuses: PluginStatus[] = [];
    const stopListening = plugin.onStatusChange((status) => statuses.push(status));
    let updates = 0;
    await plugin.subscribeResource(WATCHED, () => {
      updates += 1;
    });

    process.kill(plugin.upstreamPid!, "SIGKILL");
    await waitFor(
      "the restart to be reported",
      () => statuses.some((status) => status.restarts === 1),
      20_000,
    );
    expect(statuses[0]?.state).toBe("degraded");
    expect(statuses[0]?.lastError?.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(statuses.map((status) => status.state)).toContain("connecting");
    expect(statuses.at(-1)).toMatchObject({ state: "ready", restarts: 1 });

    await harness.callTool("test_update_watched_resource", {});
    await waitFor("the update after the restart", () => updates === 1);

    stopListening();
    const count = statuses.length;
    await harness.close();
    expect(statuses).toHaveLength(count);
  });

  it("lets a GuardedBridge forward subscriptions and report its upstream's crash and restart", async () => {
    const before = new Set(childPids(process.pid));
    const bridge = new OpenBridge();
    const harness = await createTestHarness(bridge);
    harnesses.push(harness);
    const statuses: PluginStatus[] = [];
    bridge.onStatusChange((status) => statuses.push(status));
    let updates = 0;
    const leave = await bridge.subscribeResource(WATCHED, () => {
      updates += 1;
    });
    await harness.callTool("test_update_watched_resource", {});
    await waitFor("the update through the guarded bridge", () => updates === 1);

    const [upstreamPid] = childPids(process.pid).filter((pid) => !before.has(pid));
    process.kill(upstreamPid!, "SIGKILL");
    await waitFor(
      "the restart to be reported",
      () => statuses.some((status) => status.restarts === 1),
      20_000,
    );
    expect(statuses[0]?.state).toBe("degraded");
    expect(bridge.getStatus()).toMatchObject({ state: "ready", restarts: 1 });
    await leave();
  });
});
