import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type GatewayProcess, startGateway, waitForOutput } from "./gateway-process.js";
import { tempDir, writeJson } from "./helpers.js";
import { EVERYTHING, runCli } from "./run-cli.js";

let dir: { path: string; cleanup: () => Promise<void> };
let gateway: GatewayProcess | undefined;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  if (gateway) expect(await gateway.stop()).toBe(0);
  gateway = undefined;
  await dir.cleanup();
});

const GREETER = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "greeter-plugin.mjs");

// Loopback development without keys, so the test reads /mcp/tools directly.
const ENV = { WAYGATE_CONFIG: "waygate.json", WAYGATE_AUTH: "none" };

async function toolNames(url: string): Promise<string[]> {
  const res = await fetch(`${url}/mcp/tools`);
  const body = (await res.json()) as { tools: { name: string }[] };
  return body.tools.map((tool) => tool.name);
}

/** The servers named in the gateway's structured "server started" log lines, in order. */
function startedServers(stdout: string): string[] {
  return stdout
    .split("\n")
    .filter((line) => line.includes('"server started"'))
    .map((line) => (JSON.parse(line) as { server: string }).server);
}

/** Waits until `text` has appeared `count` times in the gateway's stderr (or its structured log on stdout). */
async function waitForCount(
  process: GatewayProcess,
  text: string,
  count: number,
  stream: "stderr" | "stdout" = "stderr",
): Promise<void> {
  const deadline = Date.now() + 45_000;
  while (process[stream]().split(text).length - 1 < count) {
    if (Date.now() > deadline) throw new Error(`"${text}" not seen ${count} times:\n${process[stream]()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("the config file is watched while the gateway runs", () => {
  it("applies a valid change as a diff: starts the added server, restarts only the changed one, stops the removed one", async () => {
    const withArg = { ...EVERYTHING, env: { MARK: "1" } };
    await writeJson(dir.path, "waygate.json", {
      mcpServers: { keep: EVERYTHING, edit: EVERYTHING, drop: EVERYTHING },
    });
    gateway = await startGateway(dir.path, ENV);
    await waitForOutput(gateway, "upstreams started");
    expect(gateway.stderr()).toContain("watching");
    expect(startedServers(gateway.stdout()).sort()).toEqual(["drop", "edit", "keep"]);

    await writeJson(dir.path, "waygate.json", {
      mcpServers: { keep: EVERYTHING, edit: withArg, add: EVERYTHING },
    });
    await waitForOutput(gateway, "config file change applied (added add; removed drop; changed edit)");
    for (let attempt = 0; attempt < 200 && !(await toolNames(gateway.url)).includes("add__echo"); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await waitForCount(gateway, '"server started"', 5, "stdout");
    const names = await toolNames(gateway.url);
    expect(names).toContain("add__echo");
    expect(names).toContain("keep__echo");
    expect(names).not.toContain("drop__echo");
    // `keep` was not touched: started once, at start; `edit` twice.
    const started = startedServers(gateway.stdout());
    expect(started.filter((name) => name === "keep")).toHaveLength(1);
    expect(started.filter((name) => name === "edit")).toHaveLength(2);
    // Each change is logged with its source.
    expect(gateway.stdout()).toMatch(/"message":"server added from the config file".*"server":"add"/);
    expect(gateway.stdout()).toMatch(/"message":"server removed from the config file".*"server":"drop"/);
  });

  it("refuses an invalid change with its errors and keeps serving the old configuration", async () => {
    await writeJson(dir.path, "waygate.json", { mcpServers: { keep: EVERYTHING } });
    gateway = await startGateway(dir.path, ENV);
    await waitForOutput(gateway, "upstreams started");

    await writeJson(dir.path, "waygate.json", '{ "mcpServers": { "keep": ');
    await waitForCount(gateway, "config file change refused; the running configuration is kept", 1);
    await writeJson(dir.path, "waygate.json", { mcpServers: { keep: EVERYTHING, bad: { command: 42 } } });
    await waitForCount(gateway, "config file change refused; the running configuration is kept", 2);
    expect(gateway.stderr()).toContain("mcpServers.bad");
    expect(await toolNames(gateway.url)).toContain("keep__echo");
    expect(startedServers(gateway.stdout())).toEqual(["keep"]);

    // A valid file afterwards is applied again.
    await writeJson(dir.path, "waygate.json", { mcpServers: {} });
    await waitForOutput(gateway, "config file change applied (removed keep)");
  });

  it("applies live gateway settings at once and names each start-only one with the reason", async () => {
    await writeJson(dir.path, "waygate.json", { mcpServers: {} });
    gateway = await startGateway(dir.path, ENV);
    // An edit made before the watch begins is not a change the watcher sees.
    await waitForOutput(gateway, "a valid change is applied while running");
    await writeJson(dir.path, "waygate.json", {
      gateway: { logLevel: "debug", rateLimit: { limit: 2 }, allowedHosts: ["gateway.example"] },
      mcpServers: {},
    });
    await waitForOutput(
      gateway,
      "config file: allowedHosts changed; restart the gateway to apply it (the Host-header check is built at start)",
    );
    expect(gateway.stderr()).toContain(
      'config file change applied (logLevel = "debug"; rateLimit.limit = 2)',
    );
    // Each applied setting is logged with its source.
    expect(gateway.stdout()).toMatch(/"message":"setting applied from the config file".*"option":"logLevel"/);
    // The new limit holds for the next calls (auth none: one shared caller).
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${gateway.url}/mcp/tools`)).status);
    expect(statuses).toEqual([200, 200, 429]);
  });

  it("refuses a change whose settings do not validate, keeping the running ones", async () => {
    await writeJson(dir.path, "waygate.json", { mcpServers: {} });
    gateway = await startGateway(dir.path, ENV);
    await waitForOutput(gateway, "a valid change is applied while running");
    await writeJson(dir.path, "waygate.json", { gateway: { rateLimit: { limit: 0 } }, mcpServers: {} });
    await waitForCount(gateway, "config file change refused; the running configuration is kept", 1);
    expect(gateway.stderr()).toContain("rateLimit.limit");
    expect(gateway.stderr()).not.toContain("config file change applied");
  });
});

describe("plugins in the watched config file", () => {
  const greet = async (url: string) => {
    const res = await fetch(`${url}/mcp/execute`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tool: "greeter__greet", arguments: { name: "Ann" } }),
    });
    const body = (await res.json()) as { result?: { content: { text: string }[] } };
    return body.result?.content[0]?.text;
  };
  const greetsWith = async (url: string, text: string) => {
    for (let attempt = 0; attempt < 300 && (await greet(url)) !== text; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await greet(url)).toBe(text);
  };

  it("loads an added plugin, restarts it with changed options, refuses one that is not installed, and records a disabled one", async () => {
    await writeJson(dir.path, "waygate.json", { mcpServers: {} });
    gateway = await startGateway(dir.path, ENV);
    await waitForOutput(gateway, "a valid change is applied while running");

    await writeJson(dir.path, "waygate.json", {
      plugins: [{ package: GREETER, options: { greeting: "Hi" } }],
      mcpServers: {},
    });
    await waitForOutput(gateway, "config file change applied (plugin added greeter)");
    await greetsWith(gateway.url, "Hi, Ann!");

    await writeJson(dir.path, "waygate.json", {
      plugins: [{ package: GREETER, options: { greeting: "Howdy" } }],
      mcpServers: {},
    });
    await waitForOutput(gateway, "config file change applied (plugin changed greeter)");
    await greetsWith(gateway.url, "Howdy, Ann!");
    expect(gateway.stdout()).toMatch(/"message":"plugin changed from the config file".*"plugin":"greeter"/);

    await writeJson(dir.path, "waygate.json", {
      plugins: [{ package: GREETER, options: { greeting: "Howdy" } }, "waygate-plugin-not-installed"],
      mcpServers: {},
    });
    await waitForCount(gateway, "config file change refused; the running configuration is kept", 1);
    expect(gateway.stderr()).toContain("waygate-plugin-not-installed");
    expect(await greet(gateway.url)).toBe("Howdy, Ann!");

    await writeJson(dir.path, "waygate.json", {
      plugins: [{ package: GREETER, options: { greeting: "Howdy" }, enabled: false }],
      mcpServers: {},
    });
    await waitForOutput(gateway, "config file change applied (plugin disabled greeter)");
    const tools = (await (await fetch(`${gateway.url}/mcp/tools`)).json()) as { tools: { name: string }[] };
    expect(tools.tools.map((tool) => tool.name)).not.toContain("greeter__greet");
    const registry = (await (await fetch(`${gateway.url}/plugins`)).json()) as {
      plugins: { name: string; enabled: boolean; status: string }[];
    };
    expect(registry.plugins.find((plugin) => plugin.name === "greeter")).toMatchObject({
      enabled: false,
      status: "disabled",
    });
  });

  it("records a plugin the file disables at start in the registry, without loading it", async () => {
    await writeJson(dir.path, "waygate.json", {
      plugins: [{ package: "./plugins/weather.mjs", enabled: false }],
      mcpServers: {},
    });
    gateway = await startGateway(dir.path, ENV);
    const registry = (await (await fetch(`${gateway.url}/plugins`)).json()) as {
      plugins: { name: string; enabled: boolean; status: string; source: string }[];
    };
    expect(registry.plugins).toEqual([
      expect.objectContaining({
        name: "weather",
        enabled: false,
        status: "disabled",
        source: "./plugins/weather.mjs",
      }),
    ]);
  });
});

describe("stored servers changed by the CLI while the gateway runs", () => {
  it("logs them as the CLI's, not another replica's, and keeps a disable followed by an enable within a second", async () => {
    await writeJson(dir.path, "waygate.json", { mcpServers: {} });
    gateway = await startGateway(dir.path, ENV);
    const cli = (args: string[]) => runCli(args, { cwd: dir.path, env: ENV });
    const [command, ...args] = [EVERYTHING.command, ...EVERYTHING.args];
    expect((await cli(["servers", "add", "stored", "--", command as string, ...args])).code).toBe(0);
    await waitForCount(gateway, "server added or changed through the CLI; applied here", 1, "stdout");
    expect(gateway.stdout()).not.toContain("through another replica");
    for (
      let attempt = 0;
      attempt < 200 && !(await toolNames(gateway.url)).includes("stored__echo");
      attempt++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const [disabled, enabled] = [
      await cli(["servers", "disable", "stored"]),
      await cli(["servers", "enable", "stored"]),
    ];
    expect([disabled.code, enabled.code]).toEqual([0, 0]);
    let names: string[] = [];
    for (let attempt = 0; attempt < 200 && !names.includes("stored__echo"); attempt++) {
      names = await toolNames(gateway.url);
      if (!names.includes("stored__echo")) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(names).toContain("stored__echo");
    const status = (await (await fetch(`${gateway.url}/mcp/servers`)).json()) as {
      servers: { name: string; state: string }[];
    };
    expect(status.servers.find((server) => server.name === "stored")?.state).toBe("ready");
    expect(gateway.stdout()).not.toContain("through another replica");
  });
});
