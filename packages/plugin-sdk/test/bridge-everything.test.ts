import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { McpBridgePlugin } from "../src/bridge/index.js";
import { createTestHarness, type TestHarness } from "../src/testing/index.js";
import { freePort, processIsGone, SERVER_EVERYTHING, waitFor } from "./helpers.js";

const textOf = (result: { content: unknown[] }) => (result.content[0] as { text: string }).text;

describe("McpBridgePlugin against @modelcontextprotocol/server-everything", () => {
  const harnesses: TestHarness[] = [];
  const children: ChildProcess[] = [];
  afterEach(async () => {
    await Promise.all(harnesses.splice(0).map((harness) => harness.close()));
    for (const child of children.splice(0)) {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await once(child, "exit");
      }
    }
  });

  it("bridges a stdio server: tools, resources, templates, prompts, progress, and stops it", async () => {
    const plugin = new McpBridgePlugin({
      name: "everything",
      transport: { type: "stdio", command: process.execPath, args: [SERVER_EVERYTHING, "stdio"] },
      timeouts: { callMs: 20_000, connectMs: 20_000 },
    });
    const harness = await createTestHarness(plugin);
    harnesses.push(harness);
    const pid = plugin.upstreamPid!;

    const tools = (await harness.listTools()).map((tool) => tool.name);
    expect(tools).toEqual(expect.arrayContaining(["echo", "get-sum", "trigger-long-running-operation"]));
    expect(textOf(await harness.callTool("echo", { message: "hi" }))).toBe("Echo: hi");
    expect(textOf(await harness.callTool("get-sum", { a: 2, b: 3 }))).toContain("5");

    await harness.callTool("trigger-long-running-operation", { duration: 1, steps: 2 });
    expect(harness.progress.map((event) => event.progress)).toEqual([1, 2]);

    expect((await harness.listResourceTemplates()).length).toBeGreaterThan(0);
    const [resource] = await harness.listResources();
    expect(resource).toBeDefined();
    const read = await harness.readResource(resource!.uri);
    expect(read.contents[0]?.uri).toBe(resource!.uri);
    const prompts = await harness.listPrompts();
    expect(prompts.map((prompt) => prompt.name)).toContain("simple-prompt");
    expect((await harness.getPrompt("simple-prompt")).messages.length).toBeGreaterThan(0);
    const completion = await harness.complete({
      ref: { type: "ref/prompt", name: "completable-prompt" },
      argument: { name: "department", value: "Sa" },
    });
    expect(completion.completion.values).toEqual(["Sales"]);

    await harness.close();
    expect(processIsGone(pid)).toBe(true);
  });

  it("rejects a read of a resource the upstream does not have with a clear error", async () => {
    const harness = await createTestHarness(
      new McpBridgePlugin({
        name: "everything",
        transport: { type: "stdio", command: process.execPath, args: [SERVER_EVERYTHING, "stdio"] },
      }),
    );
    harnesses.push(harness);
    await expect(harness.readResource("demo://nope/never")).rejects.toThrow(
      /^Upstream 'everything' rejected resources\/read 'demo:\/\/nope\/never': /,
    );
  });

  async function startEverything(mode: "streamableHttp" | "sse", readyText: string): Promise<number> {
    const port = await freePort();
    const child = spawn(process.execPath, [SERVER_EVERYTHING, mode], {
      env: { ...process.env, PORT: String(port) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let stderr = "";
    child.stderr?.on("data", (chunk) => {
      stderr += String(chunk);
    });
    await waitFor(`server-everything (${mode}) to listen`, () => stderr.includes(readyText), 20_000);
    return port;
  }

  it("bridges a legacy SSE server on loopback", async () => {
    const port = await startEverything("sse", "Server is running on port");
    const harness = await createTestHarness(
      new McpBridgePlugin({
        name: "legacy",
        transport: { type: "sse", url: `http://127.0.0.1:${port}/sse` },
      }),
    );
    harnesses.push(harness);
    expect(textOf(await harness.callTool("echo", { message: "over sse" }))).toBe("Echo: over sse");
  });

  it("bridges a Streamable HTTP server on loopback", async () => {
    const port = await startEverything("streamableHttp", "listening on port");

    const harness = await createTestHarness(
      new McpBridgePlugin({
        name: "remote",
        transport: { type: "http", url: `http://127.0.0.1:${port}/mcp` },
      }),
    );
    harnesses.push(harness);
    expect((await harness.listTools()).map((tool) => tool.name)).toContain("echo");
    expect(textOf(await harness.callTool("echo", { message: "over http" }))).toBe("Echo: over http");
    await harness.callTool("trigger-long-running-operation", { duration: 1, steps: 2 });
    expect(harness.progress.map((event) => event.progress)).toEqual([1, 2]);
    expect(harness.status().state).toBe("ready");
  });

  it("fails start with a clear error when the HTTP upstream is not listening", async () => {
    const port = await freePort();
    const plugin = new McpBridgePlugin({
      name: "absent",
      transport: { type: "http", url: `http://127.0.0.1:${port}/mcp` },
      timeouts: { connectMs: 3_000 },
    });
    const error = await plugin.start().catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^Upstream 'absent' failed initialize: /);
    expect(plugin.getStatus().state).toBe("failed");
    await plugin.shutdown();
  });
});
