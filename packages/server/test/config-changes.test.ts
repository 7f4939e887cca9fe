import { fileURLToPath } from "node:url";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { definePlugin } from "@waygate/plugin-sdk";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { GatewayOptionsError } from "../src/index.js";
import {
  connectClient,
  localPlugin,
  memoryLogger,
  post,
  put,
  serverEverythingPath,
  startGateway,
  type TestGateway,
  until,
} from "./helpers.js";

const MISBEHAVING = fileURLToPath(new URL("../../../fixtures/misbehaving-server.ts", import.meta.url));
/** The project's misbehaving fixture over stdio; its `rug_pull` tool rewrites `echo` and sends list_changed. */
const misbehaving = {
  command: process.execPath,
  args: ["--import", import.meta.resolve("tsx"), MISBEHAVING],
};
const everything = { command: process.execPath, args: [serverEverythingPath(), "stdio"] };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function started(overrides: Parameters<typeof startGateway>[0]): Promise<TestGateway> {
  const t = await startGateway(overrides);
  cleanups.push(() => t.close());
  return t;
}

async function connected(url: string, key: string): Promise<Client> {
  const client = await connectClient(url, key);
  cleanups.push(() => client.close());
  return client;
}

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

const echoOf = async (client: Client) =>
  (await client.listTools()).tools.find((listed) => listed.name === "mb__echo");

const callTool = (url: string, key: string, name: string, args: Record<string, unknown> = {}) =>
  post(`${url}/mcp/execute`, { tool: name, arguments: args }, auth(key));

/** A second in-process plugin whose tool answers with the `greeting` of its config. */
const greeter = definePlugin({
  name: "greeter",
  version: "1.0.0",
  config: z.object({ greeting: z.string().default("hello") }),
  tools: (configured) => ({
    greet: configured({
      description: "Greets with the configured greeting",
      input: {},
      handler: (_input, ctx) => ctx.config.greeting,
    }),
  }),
});

describe("a live pinning.mode change", () => {
  it("hides a changed tool once the mode turns strict (file or database), and serves it flagged again under warn", async () => {
    const t = await started({ upstreams: { mb: misbehaving }, timeouts: { serverSyncMs: 200 } });
    const admin = await t.key(["admin", "tools:list", "tools:call"]);
    const client = await connected(`${t.url}/mcp`, admin);
    expect((await echoOf(client))?.description).toBe("Echoes text back");

    // Under the default `warn`, a rewritten tool is still served (flagged).
    await client.callTool({ name: "mb__rug_pull", arguments: {} });
    await until(
      () => echoOf(client),
      (echo) => echo?.description?.includes("id_rsa") === true,
      "the rewritten echo to be served under warn",
    );

    // The config file turns strict: the changed tool is hidden and refused.
    const diff = await t.gateway.applySettings({ pinning: { mode: "strict" } }, "config file");
    expect(diff).toEqual({
      applied: [{ option: "pinning.mode", runtimeKey: "pinning.mode", value: "strict", overridden: false }],
      needRestart: [],
    });
    await until(
      () => echoOf(client),
      (echo) => echo === undefined,
      "echo to be hidden under strict",
    );
    await expect(client.callTool({ name: "mb__echo", arguments: { text: "hi" } })).rejects.toMatchObject({
      code: -32013,
    });

    // A value stored in the database (`waygate config set`) wins over the file, and applies at once too.
    const set = await put(`${t.url}/admin/config/pinning.mode`, { value: "warn" }, auth(admin));
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    await until(
      () => echoOf(client),
      (echo) => echo !== undefined,
      "echo to be served again under warn",
    );
    const overridden = await t.gateway.applySettings({ pinning: { mode: "off" } }, "config file");
    expect(overridden.applied).toEqual([
      { option: "pinning.mode", runtimeKey: "pinning.mode", value: "off", overridden: true },
    ]);
  });
});

describe("applySettings: gateway settings of a changed config file", () => {
  it("applies the live ones at once and names each start-only one with its reason", async () => {
    const { logger, entries } = memoryLogger();
    const t = await started({ logger, rateLimit: { limit: 600 } });
    const caller = await t.key();
    const diff = await t.gateway.applySettings(
      { port: 4567, rateLimit: { limit: 2 }, timeouts: { headersMs: 5000 }, logLevel: "debug" },
      "config file",
    );
    expect(diff.applied.map((setting) => setting.option).sort()).toEqual(["logLevel", "rateLimit.limit"]);
    expect(diff.needRestart).toEqual([
      { option: "port", reason: "the listener is bound at start" },
      {
        option: "timeouts.headersMs",
        reason: "the HTTP server, sessions and background loops take their timeouts at start",
      },
    ]);
    expect(logger.level).toBe("debug");
    // The new default limit (2 per minute) holds for the next requests of a key without its own.
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await callTool(t.url, caller, "local__echo", { text: "x" })).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect(
      entries.some(
        (entry) =>
          entry.message === "setting applied from the config file" &&
          (entry as unknown as { option: string }).option === "rateLimit.limit",
      ),
    ).toBe(true);
    expect(
      entries.some((entry) => entry.message === "setting changed in the config file; restart to apply it"),
    ).toBe(true);
    const events = (await t.repos.systemEvents.list({ type: "config.applied" })).items;
    expect(events[0]?.message).toContain("port, timeouts.headersMs need a restart");
  });

  it("refuses invalid settings with the problem named and changes nothing", async () => {
    const t = await started({});
    const error = await t.gateway
      .applySettings({ rateLimit: { limit: -1 }, logLevel: "debug" }, "config file")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayOptionsError);
    expect((error as Error).message).toContain("rateLimit.limit");
    const caller = await t.key();
    expect((await callTool(t.url, caller, "local__echo", { text: "x" })).status).toBe(200);
    expect(await t.gateway.applySettings({ logLevel: "info" }, "config file")).toEqual({
      applied: [],
      needRestart: [],
    });
  });
});

describe("a running upstream follows a changed request timeout", () => {
  it("a longer upstream.requestTimeoutMs lets the next call of an upstream started under the shorter one finish", async () => {
    const t = await started({ upstreams: { ev: everything }, timeouts: { toolCallMs: 600 } });
    const admin = await t.key(["admin", "tools:list", "tools:call"]);
    const long = { duration: 2, steps: 2 };
    const before = await callTool(t.url, admin, "ev__trigger-long-running-operation", long);
    expect(JSON.stringify(before.body)).toContain("600 ms");

    const changed = await put(
      `${t.url}/admin/config/upstream.requestTimeoutMs`,
      { value: 20_000 },
      auth(admin),
    );
    expect(changed.status).toBe(200);
    const after = await callTool(t.url, admin, "ev__trigger-long-running-operation", long);
    expect(after.status, JSON.stringify(after.body)).toBe(200);
    expect(after.body.result.isError).not.toBe(true);
  });

  it("a configured server's changed own timeout restarts it with the new deadline", async () => {
    const t = await started({ upstreams: { ev: everything }, timeouts: { toolCallMs: 30_000 } });
    const admin = await t.key(["admin", "tools:list", "tools:call"]);
    const diff = await t.gateway.applyUpstreams(
      { ev: { ...everything, requestTimeoutMs: 450 } },
      "config file",
    );
    expect(diff).toEqual({ added: [], removed: [], changed: ["ev"] });
    await t.gateway.ready();
    const call = await until(
      () => callTool(t.url, admin, "ev__trigger-long-running-operation", { duration: 3, steps: 2 }),
      (response) => !JSON.stringify(response.body).includes("is connecting"),
      "ev to be ready again",
    );
    expect(JSON.stringify(call.body)).toContain("within 450 ms");
  });
});

describe("applyPlugins: the configured plugins replaced while running", () => {
  it("adds, reconfigures, disables and removes plugins as a diff, recording disabled ones in the registry", async () => {
    const local = localPlugin();
    const t = await started({ plugins: [local] });
    const caller = await t.key();
    const names = async () => {
      const body = (await (await fetch(`${t.url}/mcp/tools`, { headers: auth(caller) })).json()) as {
        tools: { name: string }[];
      };
      return body.tools.map((listed) => listed.name);
    };

    expect(
      await t.gateway.applyPlugins(
        [local, { plugin: greeter, config: { greeting: "hi" } }],
        [],
        "config file",
      ),
    ).toEqual({ added: ["greeter"], removed: [], changed: [], disabled: [] });
    await t.gateway.ready();
    expect((await callTool(t.url, caller, "greeter__greet")).body.result.content[0].text).toBe("hi");

    // The same set again changes nothing; a changed config restarts only that plugin.
    expect(
      await t.gateway.applyPlugins(
        [local, { plugin: greeter, config: { greeting: "hi" } }],
        [],
        "config file",
      ),
    ).toEqual({ added: [], removed: [], changed: [], disabled: [] });
    expect(
      await t.gateway.applyPlugins(
        [local, { plugin: greeter, config: { greeting: "hey" } }],
        [],
        "config file",
      ),
    ).toEqual({ added: [], removed: [], changed: ["greeter"], disabled: [] });
    await t.gateway.ready();
    expect((await callTool(t.url, caller, "greeter__greet")).body.result.content[0].text).toBe("hey");

    // Disabled in the file: stopped, and recorded as disabled for `waygate plugins list`.
    const disabled = await t.gateway.applyPlugins(
      [{ plugin: greeter, config: { greeting: "hey" } }],
      [{ name: "local", source: "./plugins/local.mjs", version: null }],
      "config file",
    );
    expect(disabled).toEqual({ added: [], removed: [], changed: [], disabled: ["local"] });
    expect(await names()).not.toContain("local__echo");
    const row = await t.repos.plugins.get("local");
    expect(row).toMatchObject({ enabled: false, status: "disabled", source: "./plugins/local.mjs" });

    // Enabled again, then the other removed.
    expect(await t.gateway.applyPlugins([local], [], "config file")).toEqual({
      added: ["local"],
      removed: ["greeter"],
      changed: [],
      disabled: [],
    });
    await t.gateway.ready();
    expect(await names()).toContain("local__echo");
    expect(await names()).not.toContain("greeter__greet");
  });

  it("refuses an entry that is no plugin, a duplicate name or a name an upstream holds, changing nothing", async () => {
    const t = await started({ upstreams: { ev: everything } });
    await expect(t.gateway.applyPlugins([{ nope: true }], [], "config file")).rejects.toThrow(
      /Invalid plugins; nothing changed:\n- plugins\[0\]: /,
    );
    await expect(t.gateway.applyPlugins([greeter, greeter], [], "config file")).rejects.toThrow(
      "a second plugin named 'greeter'",
    );
    const named = definePlugin({ name: "ev", version: "1.0.0", tools: {} });
    await expect(t.gateway.applyPlugins([named], [], "config file")).rejects.toThrow(
      "plugin 'ev': a server of that name is running",
    );
    await expect(
      t.gateway.applyPlugins([greeter], [{ name: "greeter", source: "x", version: null }], "config file"),
    ).rejects.toThrow("listed both enabled and disabled");
    expect((await t.gateway.health()).servers.map((server) => server.name).sort()).toEqual(["ev", "local"]);
  });

  it("records plugins the configuration disables at start, without importing them", async () => {
    const t = await started({ pluginsDisabled: [{ name: "weather", source: "./plugins/weather.mjs" }] });
    await t.gateway.ready();
    expect(await t.repos.plugins.get("weather")).toMatchObject({ enabled: false, status: "disabled" });
    expect((await t.gateway.health()).servers.map((server) => server.name)).toEqual(["local"]);
  });
});
