import { describe, expect, it } from "vitest";
import { z } from "zod";
import { BasePlugin, definePlugin, type PluginStatus, textResult, tool } from "../src/index.js";

class Flaky extends BasePlugin {
  readonly metadata = { name: "flaky", version: "1.0.0" };
  protected getTools() {
    return [];
  }
  protected execute() {
    return Promise.resolve(textResult("never"));
  }
  /** Stands in for a plugin that manages its own connection and loses it. */
  lose(): void {
    this.setState("degraded", new Error("connection dropped"));
  }
}

describe("onStatusChange", () => {
  it("tells a BasePlugin's listeners of start, degradation and shutdown as they happen", async () => {
    const plugin = new Flaky();
    const seen: PluginStatus[] = [];
    const stop = plugin.onStatusChange((status) => seen.push(status));
    await plugin.start();
    plugin.lose();
    await plugin.shutdown();
    expect(seen.map((status) => status.state)).toEqual(["connecting", "ready", "degraded", "stopped"]);
    expect(seen[2]?.lastError?.message).toBe("connection dropped");
    stop();
    await plugin.start();
    expect(seen).toHaveLength(4);
  });

  it("keeps telling other listeners when one throws", async () => {
    const plugin = new Flaky();
    const seen: string[] = [];
    plugin.onStatusChange(() => {
      throw new Error("listener bug");
    });
    plugin.onStatusChange((status) => seen.push(status.state));
    await plugin.start();
    expect(seen).toEqual(["connecting", "ready"]);
  });

  it("tells a definePlugin plugin's listeners when its start fails", async () => {
    const plugin = definePlugin({
      name: "strict",
      version: "1.0.0",
      config: z.object({ key: z.string() }),
      tools: { noop: tool({ input: {}, handler: () => "ok" }) },
    });
    const seen: PluginStatus[] = [];
    plugin.onStatusChange?.((status) => seen.push(status));
    await expect(plugin.start({ config: {} })).rejects.toThrow("Invalid config for plugin 'strict'");
    expect(seen.map((status) => status.state)).toEqual(["connecting", "failed"]);
    expect(seen[1]?.lastError?.code).toBe("PLUGIN_CONFIG_INVALID");
  });
});
