import { spawn } from "node:child_process";
import { once } from "node:events";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { firstRunKey, startGateway, waitForOutput } from "./gateway-process.js";
import { tempDir, writeJson } from "./helpers.js";
import { BIN, cleanEnv, EVERYTHING, runCli } from "./run-cli.js";

let dir: { path: string; cleanup: () => Promise<void> };
let client: Client | undefined;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await client?.close();
  client = undefined;
  await dir.cleanup();
});

describe("waygate stdio", () => {
  it("serves a client that launches it as a process, like Claude Desktop, with a key", async () => {
    await writeJson(dir.path, "waygate.json", { mcpServers: { everything: EVERYTHING } });
    const env = cleanEnv({ WAYGATE_CONFIG: "waygate.json" });
    const created = await runCli(["keys", "create", "--name", "desktop", "--json"], { cwd: dir.path, env });
    const { key } = JSON.parse(created.stdout) as { key: string };

    client = new Client({ name: "desktop-like", version: "1.0.0" });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, "stdio"],
      cwd: dir.path,
      env: { ...env, WAYGATE_API_KEY: key },
      stderr: "pipe",
    });
    await client.connect(transport);
    expect(client.getServerVersion()?.name).toBe("waygate");
    // Upstreams start in the background; the gateway announces new tools, so poll briefly.
    let names: string[] = [];
    for (let attempt = 0; attempt < 100 && !names.includes("everything__echo"); attempt++) {
      names = (await client.listTools()).tools.map((tool) => tool.name);
      if (!names.includes("everything__echo")) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(names).toContain("everything__echo");
    const result = await client.callTool({ name: "everything__echo", arguments: { message: "over stdio" } });
    expect(JSON.stringify(result.content)).toContain("over stdio");
  });

  it("exits 3 without an API key when authentication is required", async () => {
    const run = await runCli(["stdio"], { cwd: dir.path });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("set WAYGATE_API_KEY");
  });

  it("drains and exits 0 when the client closes its stdin, writing nothing but protocol to stdout", async () => {
    const child = spawn(process.execPath, [BIN, "stdio"], {
      cwd: dir.path,
      env: cleanEnv({ WAYGATE_AUTH: "none" }),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const initialize = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
    };
    child.stdin.write(`${JSON.stringify(initialize)}\n`);
    while (!stdout.includes("\n")) await new Promise((resolve) => setTimeout(resolve, 50));
    child.stdin.end();
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(0);
    expect(stderr).toContain("stopped");
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      jsonrpc: "2.0",
      id: 1,
      result: { serverInfo: { name: "waygate" } },
    });
  });

  it("relays to a gateway running elsewhere with --url and the key", async () => {
    await writeJson(dir.path, "waygate.json", { mcpServers: { everything: EVERYTHING } });
    const gateway = await startGateway(dir.path, { WAYGATE_CONFIG: "waygate.json" });
    try {
      const key = firstRunKey(gateway.stderr()) as string;
      await waitForOutput(gateway, "upstreams started");
      client = new Client({ name: "remote-desktop", version: "1.0.0" });
      await client.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: [BIN, "stdio", "--url", `${gateway.url}/mcp`],
          cwd: dir.path,
          env: cleanEnv({ WAYGATE_API_KEY: key }),
          stderr: "pipe",
        }),
      );
      const result = await client.callTool({ name: "everything__echo", arguments: { message: "relayed" } });
      expect(JSON.stringify(result.content)).toContain("relayed");
    } finally {
      await client?.close();
      client = undefined;
      expect(await gateway.stop()).toBe(0);
    }
  });

  it("answers a request with a JSON-RPC error when the remote gateway refuses the key", async () => {
    const gateway = await startGateway(dir.path);
    try {
      client = new Client({ name: "bad-key", version: "1.0.0" });
      const connecting = client.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: [BIN, "stdio", "--url", `${gateway.url}/mcp`],
          cwd: dir.path,
          env: cleanEnv({ WAYGATE_API_KEY: "wg_notarealkey0_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" }),
          stderr: "pipe",
        }),
      );
      await expect(connecting).rejects.toThrow(
        /Waygate could not forward the request.*API key is not recognised/,
      );
    } finally {
      await client?.close();
      client = undefined;
      expect(await gateway.stop()).toBe(0);
    }
  });

  it("answers initialize once the upstreams are ready, so a client that lists tools once gets them all", async () => {
    await writeJson(dir.path, "waygate.json", { mcpServers: { everything: EVERYTHING } });
    client = new Client({ name: "lists-once", version: "1.0.0" });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [BIN, "stdio"],
        cwd: dir.path,
        env: cleanEnv({ WAYGATE_CONFIG: "waygate.json", WAYGATE_AUTH: "none" }),
        stderr: "pipe",
      }),
    );
    // One list, no polling: before, initialize was answered with 0 tools and they arrived by list_changed.
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain("everything__echo");
  });

  it("answers initialize after --ready-timeout when an upstream never answers, naming it on stderr", async () => {
    // A stdio "server" that reads its stdin and never replies: its initialize hangs until the connect timeout.
    const silent = { command: process.execPath, args: ["-e", "process.stdin.resume()"] };
    await writeJson(dir.path, "waygate.json", { mcpServers: { silent } });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, "stdio", "--ready-timeout", "1000"],
      cwd: dir.path,
      env: cleanEnv({ WAYGATE_CONFIG: "waygate.json", WAYGATE_AUTH: "none" }),
      stderr: "pipe",
    });
    let stderr = "";
    transport.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    client = new Client({ name: "bounded", version: "1.0.0" });
    await client.connect(transport);
    expect(client.getServerVersion()?.name).toBe("waygate");
    expect(stderr).toMatch(/upstreams not settled after 1000 ms \(silent: \w+\)/);
    expect(stderr).toContain("raise --ready-timeout to wait longer");
  });

  it("rejects a --ready-timeout that is not a positive whole number of milliseconds with exit 2", async () => {
    for (const bad of ["soon", "0", "-5", "1.5", "600001"]) {
      const run = await runCli(["stdio", `--ready-timeout=${bad}`], { cwd: dir.path });
      expect(run.code, bad).toBe(2);
      expect(run.stderr).toContain("expected a whole number of milliseconds from 1 to 600000");
    }
  });

  it("rejects a --url that is not http(s) with exit 2", async () => {
    const run = await runCli(["stdio", "--url", "ftp://example.com/mcp"], { cwd: dir.path });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("expected the http(s) URL of a gateway's MCP endpoint");
  });
});
