// The router keeps the aggregate name table between calls; these check it follows list changes and status.
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import type { Backend } from "../src/routing/backend.js";
import { createRouter } from "../src/routing/router.js";
import type { HostedPlugin } from "../src/upstreams/hosted-plugin.js";

/** A backend over a minimal in-process plugin whose tool names and state the test changes (the router reads only these). */
function backend(name: string, tools: string[]) {
  const state = { tools, status: "ready", listings: 0 };
  const plugin = {
    listTools: async (): Promise<Tool[]> => {
      state.listings++;
      return state.tools.map((tool) => ({ name: tool, inputSchema: { type: "object" } }));
    },
    getStatus: () => ({ state: state.status, restarts: 0 }),
  } as unknown as HostedPlugin;
  const entry: Backend = {
    name,
    kind: "plugin",
    plugin,
    origin: "options",
    started: Promise.resolve(),
    unsubscribe: () => {},
  };
  return { entry, state };
}

const aggregate = { kind: "aggregate" } as const;

describe("router name resolution", () => {
  it("lists each backend once for many calls, and resolves new names after a list change", async () => {
    const router = createRouter();
    const a = backend("alpha", ["one"]);
    router.add(a.entry);
    for (let i = 0; i < 5; i++)
      expect((await router.resolveTool(aggregate, "alpha__one")).original).toBe("one");
    expect(a.state.listings).toBe(1);

    a.state.tools = ["two"];
    router.invalidate("alpha", "tools");
    expect((await router.resolveTool(aggregate, "alpha__two")).original).toBe("two");
    await expect(router.resolveTool(aggregate, "alpha__one")).rejects.toThrow("Unknown tool 'alpha__one'");
  });

  it("follows backends that are added, removed or stop being usable", async () => {
    const router = createRouter();
    const a = backend("alpha", ["one"]);
    const b = backend("beta", ["one"]);
    router.add(a.entry);
    await expect(router.resolveTool(aggregate, "beta__one")).rejects.toThrow("Unknown tool 'beta__one'");
    router.add(b.entry);
    expect((await router.resolveTool(aggregate, "beta__one")).backend.name).toBe("beta");

    b.state.status = "failed";
    await expect(router.resolveTool(aggregate, "beta__one")).rejects.toThrow(/beta/);
    b.state.status = "ready";
    expect((await router.resolveTool(aggregate, "beta__one")).backend.name).toBe("beta");

    router.remove("beta");
    await expect(router.resolveTool(aggregate, "beta__one")).rejects.toThrow("Unknown tool 'beta__one'");
    expect((await router.resolveTool(aggregate, "alpha__one")).backend.name).toBe("alpha");
  });
});
