import { describe, expect, it } from "vitest";
import { get, memoryLogger, post, startGateway } from "./helpers.js";

// The stdio command never runs: the upstreams below are added disabled or refused before anything starts.
const SLEEPER = { command: process.execPath, args: ["-e", "setTimeout(() => {}, 60000)"] };

describe("applyUpstreams: the configured upstreams replaced while running", () => {
  it("refuses a set with an invalid entry, naming each, and changes nothing", async () => {
    const { logger, entries } = memoryLogger();
    const t = await startGateway({ logger, upstreams: {} });
    try {
      await expect(
        t.gateway.applyUpstreams(
          { bad: { command: 42 }, worse: { url: "not a url" }, fine: SLEEPER },
          "config file",
        ),
      ).rejects.toThrow(/Invalid upstreams; nothing changed:\n- upstreams\.bad: .*\n- upstreams\.worse: /);
      const servers = (await t.gateway.health()).servers.map((server) => server.name);
      expect(servers).toEqual(["local"]);
      expect(entries.some((entry) => entry.message.includes("from the config file"))).toBe(false);
    } finally {
      await t.close();
    }
  });

  it("treats a disabled entry as absent, and applying the same set twice changes nothing the second time", async () => {
    const t = await startGateway({ upstreams: {} });
    try {
      expect(await t.gateway.applyUpstreams({ off: { ...SLEEPER, disabled: true } }, "config file")).toEqual({
        added: [],
        removed: [],
        changed: [],
      });
      expect((await t.gateway.health()).servers.map((server) => server.name)).toEqual(["local"]);
    } finally {
      await t.close();
    }
  });

  it("refuses to replace a plugin with a configured server of the same name", async () => {
    const t = await startGateway({ upstreams: {} });
    try {
      const diff = await t.gateway.applyUpstreams({ local: SLEEPER }, "config file");
      expect(diff.added).toEqual([]);
      const local = (await t.gateway.health()).servers.find((server) => server.name === "local");
      expect(local?.state).toBe("ready");
    } finally {
      await t.close();
    }
  });

  it("starts the stored server of the same name once the config file no longer shadows it", async () => {
    // Port 9 on loopback refuses at once, so neither server holds up the test; only their origins matter.
    const shadow = { url: "http://127.0.0.1:9/mcp" };
    const t = await startGateway({ upstreams: { shadow }, egress: { allow: ["127.0.0.1/32"] } });
    try {
      await t.repos.mcpServers.create({
        name: "shadow",
        transport: "http",
        url: "http://127.0.0.1:9/stored",
      });
      const admin = { authorization: `Bearer ${await t.key(["admin"])}` };
      const originOf = async () =>
        ((await get(`${t.url}/admin/servers`, admin)).body.servers as { name: string; origin: string }[])
          .filter((server) => server.name === "shadow")
          .map((server) => server.origin);
      expect(await originOf()).toEqual(["options"]);
      expect(await t.gateway.applyUpstreams({}, "config file")).toEqual({
        added: [],
        removed: ["shadow"],
        changed: [],
      });
      expect(await originOf()).toEqual(["database"]);
    } finally {
      await t.close();
    }
  });
});

describe("server changes are logged with their source", () => {
  it("logs each admin API change as the admin API's, naming the key", async () => {
    const { logger, entries } = memoryLogger();
    const t = await startGateway({ logger, egress: { allow: ["127.0.0.1/32"] } });
    try {
      const admin = { authorization: `Bearer ${await t.key(["admin"])}` };
      expect(
        (await post(`${t.url}/admin/servers`, { name: "remote", url: "http://127.0.0.1:9/mcp" }, admin))
          .status,
      ).toBe(201);
      expect((await post(`${t.url}/admin/servers/remote/disable`, {}, admin)).status).toBe(200);
      expect((await post(`${t.url}/admin/servers/remote/enable`, {}, admin)).status).toBe(200);
      const removed = await fetch(`${t.url}/admin/servers/remote`, { method: "DELETE", headers: admin });
      expect(removed.status).toBe(200);
      const logged = entries
        .filter((entry) => (entry as { source?: string }).source === "admin API")
        .map((entry) => entry.message);
      expect(logged).toEqual([
        "server added through the admin API",
        "server disabled through the admin API",
        "server enabled through the admin API",
        "server removed through the admin API",
      ]);
      // This replica's own changes are never reported again by its server sync as someone else's.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(entries.some((entry) => entry.message.includes("another replica"))).toBe(false);
    } finally {
      await t.close();
    }
  });
});
