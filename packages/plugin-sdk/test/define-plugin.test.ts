import { describe, expect, it } from "vitest";
import { z } from "zod";
import { definePlugin, PluginConfigError, PluginError, ToolNameError, tool } from "../src/index.js";
import { createTestHarness } from "../src/testing/index.js";

const greeter = () =>
  definePlugin({
    name: "greeter",
    version: "1.0.0",
    description: "Says hello",
    config: z.object({ greeting: z.string().default("Hello") }),
    tools: {
      greet: tool({
        description: "Greets someone",
        input: { name: z.string().min(1), times: z.number().int().positive().default(1) },
        handler: ({ name, times }, ctx) => {
          const { greeting } = ctx.config as { greeting: string };
          ctx.logger.info("greeting", { name });
          return Array.from({ length: times }, () => `${greeting}, ${name}!`).join(" ");
        },
      }),
      stats: tool({
        input: z.object({ values: z.array(z.number()).min(1) }),
        output: z.object({ min: z.number(), max: z.number() }),
        handler: ({ values }) => ({ min: Math.min(...values), max: Math.max(...values) }),
      }),
      boom: tool({
        input: {},
        handler: () => {
          throw new Error("disk on fire");
        },
      }),
      slow: tool({
        input: { steps: z.number().int() },
        handler: async ({ steps }, ctx) => {
          for (let i = 1; i <= steps; i++) await ctx.reportProgress(i, steps, `step ${i}`);
          return `done by ${ctx.caller.keyId}`;
        },
      }),
    },
    resources: [
      {
        resource: { uri: "greeter://readme", name: "readme", mimeType: "text/plain" },
        read: () => ({ contents: [{ uri: "greeter://readme", text: "Say hi" }] }),
      },
    ],
    prompts: {
      welcome: {
        prompt: { description: "Welcome someone", arguments: [{ name: "who", required: true }] },
        get: (args) => ({
          messages: [{ role: "user", content: { type: "text", text: `Welcome ${args.who}` } }],
        }),
      },
    },
  });

describe("definePlugin", () => {
  it("lists the zod input schema as JSON Schema in tools/list", async () => {
    const harness = await createTestHarness(greeter());
    const tools = await harness.listTools();
    const greet = tools.find((t) => t.name === "greet");
    expect(greet?.inputSchema).toMatchObject({
      type: "object",
      properties: { name: { type: "string", minLength: 1 }, times: { type: "integer" } },
      required: ["name"],
    });
    expect(tools.find((t) => t.name === "stats")?.outputSchema).toMatchObject({ type: "object" });
    await harness.close();
  });

  it("validates arguments and passes parsed values (with defaults) to the handler", async () => {
    const harness = await createTestHarness(greeter(), { config: { greeting: "Hi" } });
    const result = await harness.callTool("greet", { name: "Ada", times: 2 });
    expect(result).toEqual({ content: [{ type: "text", text: "Hi, Ada! Hi, Ada!" }] });
    expect(await harness.callTool("greet", { name: "Bo" })).toEqual({
      content: [{ type: "text", text: "Hi, Bo!" }],
    });
    await harness.close();
  });

  it("returns a tool error naming the failing path when arguments are invalid", async () => {
    const harness = await createTestHarness(greeter());
    const result = await harness.callTool("greet", { name: 42 });
    expect(result.isError).toBe(true);
    expect(result.content[0]).toMatchObject({ type: "text" });
    const text = (result.content[0] as { text: string }).text;
    expect(text).toContain("Invalid arguments for tool 'greet'");
    expect(text).toContain("name:");
    const nested = await harness.callTool("stats", { values: [1, "x"] });
    expect((nested.content[0] as { text: string }).text).toContain("values.1:");
    await harness.close();
  });

  it("sends structured output checked against the output schema", async () => {
    const harness = await createTestHarness(greeter());
    const result = await harness.callTool("stats", { values: [3, 1, 2] });
    expect(result.structuredContent).toEqual({ min: 1, max: 3 });
    expect(result.isError).toBeUndefined();
    await harness.close();
  });

  it("turns a handler exception into an isError result and logs it", async () => {
    const harness = await createTestHarness(greeter());
    const result = await harness.callTool("boom");
    expect(result).toEqual({
      content: [{ type: "text", text: "Tool 'boom' failed: disk on fire" }],
      isError: true,
      _meta: { "io.waygate/failure": true },
    });
    expect(harness.logs.some((line) => line.message === "tool threw" && line.meta.plugin === "greeter")).toBe(
      true,
    );
    expect(harness.status().state).toBe("ready");
    await harness.close();
  });

  it("answers an unknown tool with an isError result", async () => {
    const harness = await createTestHarness(greeter());
    const result = await harness.callTool("nope");
    expect(result.isError).toBe(true);
    expect((result.content[0] as { text: string }).text).toBe("Plugin 'greeter' has no tool 'nope'");
    await harness.close();
  });

  it("gives handlers progress reporting, the caller identity and a child logger", async () => {
    const harness = await createTestHarness(greeter(), {
      caller: { keyId: "key_1", scopes: ["tools:call"] },
    });
    const result = await harness.callTool("slow", { steps: 2 });
    expect((result.content[0] as { text: string }).text).toBe("done by key_1");
    expect(harness.progress).toEqual([
      { progress: 1, total: 2, message: "step 1" },
      { progress: 2, total: 2, message: "step 2" },
    ]);
    await harness.callTool("greet", { name: "Ada" });
    const line = harness.logs.find((l) => l.message === "greeting");
    expect(line?.meta).toMatchObject({ plugin: "greeter", tool: "greet", name: "Ada" });
    expect(typeof line?.meta.requestId).toBe("string");
    await harness.close();
  });

  it("does not run the handler of a call that was already cancelled", async () => {
    const harness = await createTestHarness(greeter());
    const controller = new AbortController();
    controller.abort();
    const result = await harness.callTool("slow", { steps: 3 }, { signal: controller.signal });
    expect(result.isError).toBe(true);
    expect(harness.progress).toEqual([]);
    await harness.close();
  });

  it("reads resources and renders prompts, and rejects unknown ones with a typed error", async () => {
    const harness = await createTestHarness(greeter());
    expect(await harness.listResources()).toEqual([
      { uri: "greeter://readme", name: "readme", mimeType: "text/plain" },
    ]);
    expect(await harness.readResource("greeter://readme")).toEqual({
      contents: [{ uri: "greeter://readme", text: "Say hi" }],
    });
    await expect(harness.readResource("greeter://nope")).rejects.toMatchObject({
      code: "RESOURCE_NOT_FOUND",
    });
    const prompt = await harness.getPrompt("welcome", { who: "Ada" });
    expect(prompt.messages[0]?.content).toEqual({ type: "text", text: "Welcome Ada" });
    await expect(harness.getPrompt("nope")).rejects.toMatchObject({ code: "PROMPT_NOT_FOUND" });
    await harness.close();
    expect(harness.status().state).toBe("stopped");
  });

  it("rejects config that does not match the plugin's schema, naming the field", async () => {
    const error = await createTestHarness(greeter(), { config: { greeting: 5 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginConfigError);
    expect(PluginError.isInstance(error, "PLUGIN_CONFIG_INVALID")).toBe(true);
    expect((error as Error).message).toMatch(/Invalid config for plugin 'greeter': greeting: /);
  });

  it("rejects tool names that clients would refuse when the plugin is defined", () => {
    const define = (name: string) =>
      definePlugin({
        name: "p",
        version: "1.0.0",
        tools: { [name]: tool({ input: {}, handler: () => "" }) },
      });
    expect(() => define("has space")).toThrow(ToolNameError);
    expect(() => define("dots.are.out")).toThrow(/must match \^\[a-zA-Z0-9_-\]\{1,64\}\$/);
    expect(() => define("x".repeat(65))).toThrow(ToolNameError);
    expect(() => define("ok_name-1")).not.toThrow();
  });

  it("rejects bad metadata naming each field", () => {
    expect(() => definePlugin({ name: "bad__name", version: "1.0.0" })).toThrow(
      /name: must not contain '__'/,
    );
    expect(() => definePlugin({ name: "p", version: "one" })).toThrow(/version: must be a semver version/);
  });

  it("refuses to start on a host outside the declared version range", async () => {
    const plugin = definePlugin({ name: "picky", version: "1.0.0", hostVersions: "^2.0.0" });
    await expect(createTestHarness(plugin, { hostVersion: "1.4.0" })).rejects.toMatchObject({
      code: "PLUGIN_HOST_VERSION_UNSUPPORTED",
      message: "Plugin 'picky' supports host versions '^2.0.0' but this host is 1.4.0",
    });
    expect(plugin.getStatus()).toMatchObject({
      state: "failed",
      lastError: { code: "PLUGIN_HOST_VERSION_UNSUPPORTED" },
    });
    const ok = await createTestHarness(
      definePlugin({ name: "picky", version: "1.0.0", hostVersions: "^2.0.0" }),
      { hostVersion: "2.3.1" },
    );
    expect(ok.status().state).toBe("ready");
    await ok.close();
  });
});
