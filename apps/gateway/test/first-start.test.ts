import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EVERYTHING_VERSION } from "../src/runtime/example-config.js";
import { REPO_ROOT } from "./dockerfile.js";
import { firstRunKey, type GatewayProcess, startGateway, waitForOutput } from "./gateway-process.js";
import { tempDir } from "./helpers.js";
import { EVERYTHING, runCli } from "./run-cli.js";

const run = promisify(execFile);

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

/** The indented lines printed under `heading` in the connect hints. */
function block(stderr: string, heading: string): string {
  const start = stderr.indexOf(heading);
  expect(start).toBeGreaterThanOrEqual(0);
  const lines = stderr
    .slice(start + heading.length)
    .split("\n")
    .slice(1);
  const end = lines.findIndex((line) => !line.startsWith("    "));
  return lines
    .slice(0, end)
    .map((line) => line.slice(4))
    .join("\n");
}

describe("a first start on an empty development configuration", () => {
  it("serves server-everything and the example plugin, and prints how to connect, whose curl line works", async () => {
    gateway = await startGateway(dir.path, { WAYGATE_EXAMPLES: "true" });
    await waitForOutput(gateway, "upstreams started");
    const stderr = gateway.stderr();
    expect(stderr).toContain("no config file and no stored server: serving the example configuration");
    expect(stderr).toMatch(/everything: @modelcontextprotocol\/server-everything \(installed, /);
    expect(stderr).toMatch(/text_tools: the example plugin \(.*examples\/custom-plugin\/dist\/index\.js\)/);
    expect(stderr).toMatch(/ {2}everything: ready/);
    expect(stderr).toMatch(/ {2}text_tools: ready/);

    const inspector = block(stderr, "MCP Inspector (CLI, Node 22+):");
    expect(inspector).toBe(
      `npx -y @modelcontextprotocol/inspector --cli ${gateway.url}/mcp --transport http --header "Authorization: Bearer $WAYGATE_API_KEY" --method tools/list`,
    );
    const desktop = JSON.parse(block(stderr, "Claude Desktop (claude_desktop_config.json):")) as {
      mcpServers: { waygate: { command: string; args: string[]; env: Record<string, string> } };
    };
    expect(desktop.mcpServers.waygate).toEqual({
      command: "npx",
      args: ["-y", "mcp-remote", `${gateway.url}/mcp`, "--header", "Authorization:${AUTH_HEADER}"],
      env: { AUTH_HEADER: "Bearer <your key>" },
    });

    // The printed curl line, run by a shell with the first-run key, lists both examples' tools.
    const key = firstRunKey(stderr) as string;
    expect(key).toMatch(/^wg_/);
    const curl = block(stderr, "curl (REST):");
    expect(stderr.split(key)).toHaveLength(2); // the key is printed once, in the banner, not in the hints
    const { stdout } = await run("sh", ["-c", curl], {
      env: { PATH: process.env.PATH ?? "", WAYGATE_API_KEY: key },
    });
    const names = (JSON.parse(stdout) as { tools: { name: string }[] }).tools.map((tool) => tool.name);
    expect(names).toContain("everything__echo");
    expect(names).toContain("text_tools__word_count");
  });

  it("serves no example once a server is stored, and none with WAYGATE_EXAMPLES=false", async () => {
    const [command, ...args] = [EVERYTHING.command, ...EVERYTHING.args];
    const env = { WAYGATE_EXAMPLES: "true", WAYGATE_AUTH: "none" };
    expect(
      (await runCli(["servers", "add", "mine", "--", command as string, ...args], { cwd: dir.path, env }))
        .code,
    ).toBe(0);
    gateway = await startGateway(dir.path, env);
    await waitForOutput(gateway, "upstreams started");
    expect(gateway.stderr()).not.toContain("example configuration");
    // Without keys the hints carry no header.
    expect(gateway.stderr()).toContain(`curl -s ${gateway.url}/mcp/tools\n`);
    expect(await gateway.stop()).toBe(0);
    gateway = undefined;

    const off = await tempDir();
    try {
      gateway = await startGateway(off.path, { WAYGATE_EXAMPLES: "false" });
      expect(gateway.stderr()).not.toContain("example configuration");
    } finally {
      if (gateway) expect(await gateway.stop()).toBe(0);
      gateway = undefined;
      await off.cleanup();
    }
  });

  it("refuses a WAYGATE_EXAMPLES that is not a boolean with exit 3 and the fix", async () => {
    const result = await runCli(["start"], { cwd: dir.path, env: { WAYGATE_EXAMPLES: "maybe" } });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("WAYGATE_EXAMPLES");
    expect(result.stderr).toContain("set WAYGATE_EXAMPLES to true or false");
  });

  it("runs the version of server-everything the workspace pins when it is not installed", async () => {
    const workspace = await readFile(join(REPO_ROOT, "pnpm-workspace.yaml"), "utf8");
    expect(workspace).toContain(`"@modelcontextprotocol/server-everything": ${EVERYTHING_VERSION}`);
  });

  it("pnpm start announces the build and shows its progress instead of only errors", async () => {
    const root = JSON.parse(await readFile(join(REPO_ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(root.scripts.start).toContain("building the gateway");
    expect(root.scripts.start).toContain("--output-logs=new-only");
    expect(root.scripts.start).toContain("--filter=@waygate/example-custom-plugin");
  });
});
