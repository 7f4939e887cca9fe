import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type TestGateway } from "./helpers.js";
import { freePort } from "./support/builtin-sign-in.js";

const require = createRequire(import.meta.url);
const MCP_REMOTE = require.resolve("mcp-remote/dist/proxy.js");
const BROWSER = fileURLToPath(new URL("./support/headless-browser.mjs", import.meta.url));

let gw: TestGateway;
let configDir: string;

beforeAll(async () => {
  const port = await freePort();
  gw = await startGateway({ oauth: { builtin: {}, publicUrl: `http://127.0.0.1:${port}` } }, { port });
  configDir = mkdtempSync(join(tmpdir(), "waygate-mcp-remote-"));
});

afterAll(async () => {
  await gw?.close();
  rmSync(configDir, { recursive: true, force: true });
});

describe("mcp-remote with no header, through the built-in authorization server", () => {
  it("registers, has the person sign in with an API key in the (scripted) browser, and calls a tool", async () => {
    const apiKey = await gw.key(["tools:list", "tools:call"]);
    const stderr: string[] = [];
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [MCP_REMOTE, `${gw.url}/mcp`, String(await freePort())],
      env: {
        PATH: process.env.PATH ?? "",
        HOME: configDir,
        // Its tokens and client registration go to a temp dir, not the user's ~/.mcp-auth.
        MCP_REMOTE_CONFIG_DIR: configDir,
        // No display here: `open` runs xdg-open, which runs $BROWSER, our scripted browser.
        BROWSER,
        DISPLAY: "",
        WAYGATE_TEST_API_KEY: apiKey,
      },
      stderr: "pipe",
    });
    transport.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
    const client = new Client({ name: "mcp-remote-test", version: "1.0.0" });
    try {
      await client.connect(transport);
      const tools = await client.listTools();
      expect(tools.tools.map((t) => t.name)).toContain("local__echo");
      const result = await client.callTool({ name: "local__echo", arguments: { text: "via mcp-remote" } });
      expect(result.content).toEqual([{ type: "text", text: "via mcp-remote" }]);
    } catch (error) {
      throw new Error(`${(error as Error).message}\nmcp-remote said:\n${stderr.join("")}`);
    } finally {
      await client.close();
    }
    const rows = await gw.auditRows();
    const call = rows.findLast((row) => row.method === "tools/call");
    const [record] = (await gw.repos.apiKeys.list()).filter((key) => apiKey.startsWith(key.prefix));
    expect(call).toMatchObject({ outcome: "ok", key_id: record?.id });
  }, 60_000);
});
