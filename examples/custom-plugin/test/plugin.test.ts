import { createTestHarness, type TestHarness } from "@waygate/plugin-sdk/testing";
import { afterEach, describe, expect, it } from "vitest";
import plugin from "../src/index.js";

describe("text_tools plugin", () => {
  let harness: TestHarness | undefined;
  afterEach(async () => {
    await harness?.close();
  });

  it("counts words and returns structured output", async () => {
    harness = await createTestHarness(plugin);
    const result = await harness.callTool("word_count", { text: "one two  three" });
    expect(result.structuredContent).toEqual({ words: 3, characters: 14 });
  });

  it("rejects a word_count call without text, naming the field", async () => {
    harness = await createTestHarness(plugin);
    const result = await harness.callTool("word_count", {});
    expect(result.isError).toBe(true);
    expect(result.content[0]).toMatchObject({ type: "text", text: expect.stringContaining("text:") });
  });

  it("slugifies titles with the chosen separator", async () => {
    harness = await createTestHarness(plugin);
    expect(await harness.callTool("slugify", { title: "Hello, Wide World!" })).toEqual({
      content: [{ type: "text", text: "hello-wide-world" }],
    });
    expect(await harness.callTool("slugify", { title: "Hello World", separator: "_" })).toEqual({
      content: [{ type: "text", text: "hello_world" }],
    });
  });

  it("refuses titles over the configured maximum length", async () => {
    harness = await createTestHarness(plugin, { config: { maxLength: 5 } });
    const result = await harness.callTool("slugify", { title: "far too long" });
    expect(result).toEqual({
      content: [{ type: "text", text: "title is longer than 5 characters" }],
      isError: true,
    });
  });

  it("refuses to start with a config of the wrong type", async () => {
    await expect(createTestHarness(plugin, { config: { maxLength: "big" } })).rejects.toThrow(
      /Invalid config for plugin 'text_tools': maxLength: /,
    );
  });

  it("sees the caller's key id and scopes", async () => {
    harness = await createTestHarness(plugin, { caller: { keyId: "key_42", scopes: ["tools:read"] } });
    const result = await harness.callTool("whoami");
    expect(result.content[0]).toMatchObject({ text: "key key_42 with scopes [tools:read]" });
  });

  it("serves its style guide resource", async () => {
    harness = await createTestHarness(plugin);
    expect((await harness.listResources()).map((resource) => resource.uri)).toEqual([
      "text-tools://style-guide",
    ]);
    const read = await harness.readResource("text-tools://style-guide");
    expect(read.contents[0]).toMatchObject({ mimeType: "text/plain" });
  });
});
