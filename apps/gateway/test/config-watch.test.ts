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

  it("says which changed settings need a restart, and applies the servers anyway", async () => {
    await writeJson(dir.path, "waygate.json", { mcpServers: {} });
    gateway = await startGateway(dir.path, ENV);
    // An edit made before the watch begins is not a change the watcher sees.
    await waitForOutput(gateway, "a valid change is applied while running");
    await writeJson(dir.path, "waygate.json", { gateway: { logLevel: "debug" }, mcpServers: {} });
    await waitForOutput(gateway, "config file: logLevel changed; restart the gateway to apply it");
    expect(gateway.stderr()).toContain("config file change applied (no server changed)");
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
