import type { CallToolResult, Tool } from "@modelcontextprotocol/client";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  BasePlugin,
  type CallContext,
  createMemoryLogger,
  isWaygatePlugin,
  isWaygatePluginClass,
  type Logger,
  type PluginCallContext,
  type PluginInitContext,
  ToolNameError,
  textResult,
} from "../src/index.js";
import { createTestHarness } from "../src/testing/index.js";

const Config = z.object({ prefix: z.string() });
type Config = z.infer<typeof Config>;

class EchoPlugin extends BasePlugin<Config> {
  readonly metadata = { name: "echo", version: "0.1.0", description: "Echoes" };
  override readonly configSchema = Config;
  initialized: PluginInitContext<Config> | undefined;
  shutdownCalls = 0;

  protected override initialize(ctx: PluginInitContext<Config>): void {
    this.initialized = ctx;
  }

  protected getTools(): Tool[] {
    return [{ name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } } } }];
  }

  protected async execute(name: string, args: Record<string, unknown>, ctx: PluginCallContext<Config>) {
    if (name === "echo") return textResult(`${ctx.config.prefix}${String(args.text)}`);
    throw new Error(`unknown tool ${name}`);
  }

  addTool(): void {
    this.notifyListChanged("tools");
  }

  override async shutdown(): Promise<void> {
    this.shutdownCalls += 1;
    await super.shutdown();
  }
}

class BadNamePlugin extends BasePlugin {
  readonly metadata = { name: "bad", version: "1.0.0" };
  protected getTools(): Tool[] {
    return [{ name: "not ok", inputSchema: { type: "object" } }];
  }
  protected execute(): Promise<CallToolResult> {
    return Promise.resolve(textResult(""));
  }
}

describe("BasePlugin", () => {
  it("is recognised by its brand, as an instance and as a class", () => {
    expect(isWaygatePlugin(new EchoPlugin())).toBe(true);
    expect(isWaygatePluginClass(EchoPlugin)).toBe(true);
    expect(isWaygatePlugin({ metadata: { name: "x" } })).toBe(false);
    expect(isWaygatePluginClass(class {})).toBe(false);
  });

  it("validates config, runs initialize with a child logger, and calls tools with it", async () => {
    const plugin = new EchoPlugin();
    const harness = await createTestHarness(plugin, { config: { prefix: "> " } });
    expect(plugin.initialized?.config).toEqual({ prefix: "> " });
    expect(await harness.callTool("echo", { text: "hi" })).toEqual(textResult("> hi"));
    expect(harness.status()).toEqual({ state: "ready", restarts: 0 });
    await harness.close();
    expect(plugin.shutdownCalls).toBe(1);
    expect(harness.status().state).toBe("stopped");
  });

  it("fails start with the field name when config is invalid, and keeps the error in status", async () => {
    const plugin = new EchoPlugin();
    await expect(createTestHarness(plugin, { config: {} })).rejects.toThrow(
      "Invalid config for plugin 'echo': prefix: ",
    );
    expect(plugin.getStatus()).toMatchObject({
      state: "failed",
      lastError: { code: "PLUGIN_CONFIG_INVALID" },
    });
  });

  it("turns exceptions from execute into isError results", async () => {
    const harness = await createTestHarness(EchoPlugin, { config: { prefix: "" } });
    expect(await harness.callTool("missing")).toEqual({
      content: [{ type: "text", text: "Tool 'missing' failed: unknown tool missing" }],
      isError: true,
      // Marked as a failure of the call, not the tool's own answer, so a host may withhold the text.
      _meta: { "io.waygate/failure": true },
    });
    await harness.close();
  });

  it("refuses to start when a tool name breaks the MCP rule", async () => {
    const plugin = new BadNamePlugin();
    await expect(plugin.start()).rejects.toBeInstanceOf(ToolNameError);
    expect(plugin.getStatus().state).toBe("failed");
  });

  it("gives each call the host's context fields, its config and a child logger made only when it logs", async () => {
    const seen: PluginCallContext[] = [];
    class LoggingPlugin extends BasePlugin {
      readonly metadata = { name: "logging", version: "1.0.0" };
      protected getTools(): Tool[] {
        return [
          { name: "quiet", inputSchema: { type: "object" } },
          { name: "loud", inputSchema: { type: "object" } },
        ];
      }
      protected execute(name: string, _args: Record<string, unknown>, ctx: PluginCallContext) {
        seen.push(ctx);
        if (name === "loud") ctx.logger.info("said", { n: 1 });
        return Promise.resolve(textResult(name));
      }
    }
    const parent = createMemoryLogger();
    let children = 0;
    const counted = (inner: Logger): Logger => ({
      debug: (message, meta) => inner.debug(message, meta),
      info: (message, meta) => inner.info(message, meta),
      warn: (message, meta) => inner.warn(message, meta),
      error: (message, meta) => inner.error(message, meta),
      child: (meta) => {
        children += 1;
        return counted(inner.child(meta));
      },
    });
    const counting = counted(parent);
    const plugin = new LoggingPlugin();
    await plugin.start({ logger: counting });
    children = 0; // start made the plugin's own child; count only the per-call ones
    const host = (requestId: string): CallContext & { extra: string } => ({
      signal: new AbortController().signal,
      caller: { keyId: "k", scopes: [] },
      requestId,
      reportProgress: () => {},
      extra: "kept",
    });
    await plugin.callTool("quiet", {}, host("r1"));
    expect(children).toBe(0);
    await plugin.callTool("loud", {}, host("r2"));
    expect(children).toBe(1);
    expect(parent.records).toEqual([
      { level: "info", message: "said", meta: { plugin: "logging", tool: "loud", requestId: "r2", n: 1 } },
    ]);
    // A spread of the context (a plugin handing it on) keeps every field, the logger included.
    const copy = { ...seen[1]! };
    expect(copy).toMatchObject({ requestId: "r2", caller: { keyId: "k" }, extra: "kept" });
    copy.logger.warn("again");
    expect(parent.records.at(-1)).toEqual({
      level: "warn",
      message: "again",
      meta: { plugin: "logging", tool: "loud", requestId: "r2" },
    });
    expect(children).toBe(1);
    await plugin.shutdown();
  });

  it("notifies list_changed listeners until they unsubscribe", async () => {
    const plugin = new EchoPlugin();
    const seen: string[] = [];
    const unsubscribe = plugin.onListChanged((kind) => seen.push(kind));
    plugin.addTool();
    unsubscribe();
    plugin.addTool();
    expect(seen).toEqual(["tools"]);
  });

  it("has no resources or prompts by default and rejects reads with a typed error", async () => {
    const harness = await createTestHarness(EchoPlugin, { config: { prefix: "" } });
    expect(await harness.listResources()).toEqual([]);
    expect(await harness.listPrompts()).toEqual([]);
    await expect(harness.readResource("x://y")).rejects.toMatchObject({ code: "RESOURCE_NOT_FOUND" });
    await expect(harness.getPrompt("p")).rejects.toMatchObject({ code: "PROMPT_NOT_FOUND" });
    await harness.close();
  });
});
