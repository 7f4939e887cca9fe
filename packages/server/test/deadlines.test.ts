// Two promises of the docs, held on the SDK v2 front end: a session with a call still running is not idle (even a
// call that streams progress), and `toolCallMs` is the deadline of every request forwarded to a plugin, not only of
// tools/call.
import { definePlugin } from "@waygate/plugin-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient, localPlugin, startGateway, type TestGateway } from "./helpers.js";

const never = () => new Promise<never>(() => {});
const stuck = definePlugin({
  name: "stuck",
  version: "1.0.0",
  resources: [{ resource: { uri: "stuck://r", name: "r" }, read: never }],
  prompts: { p: { prompt: { description: "never answers", arguments: [] }, get: never } },
});

let t: TestGateway;
let key: string;
beforeAll(async () => {
  t = await startGateway({
    plugins: [localPlugin(), stuck],
    timeouts: { sessionIdleMs: 1000, toolCallMs: 5000 },
  });
  key = await t.key([
    "tools:list",
    "tools:call",
    "resources:read",
    "resources:list",
    "prompts:read",
    "prompts:list",
  ]);
});
afterAll(async () => {
  await t?.close();
});

describe("deadlines", () => {
  it("does not sweep a session as idle while a call that streams progress runs past sessionIdleMs", async () => {
    const client = await connectClient(`${t.url}/mcp`, key);
    try {
      const progress: number[] = [];
      const result = await client.callTool({ name: "local__slow", arguments: { ms: 2500 } }, undefined, {
        onprogress: (p) => progress.push(p.progress),
        timeout: 20_000,
      });
      expect(result.isError).toBeFalsy();
      expect(JSON.stringify(result.content)).toContain("waited 2500");
      expect(progress).toContain(2);
      // The session still answers.
      const again = await client.callTool({ name: "local__echo", arguments: { text: "still here" } });
      expect(JSON.stringify(again.content)).toContain("still here");
    } finally {
      await client.close();
    }
  });

  it("ends resources/read and prompts/get on a plugin at toolCallMs with a timeout error", async () => {
    const client = await connectClient(`${t.url}/mcp`, key);
    try {
      await expect(client.readResource({ uri: "stuck://r" }, { timeout: 30_000 })).rejects.toThrow(
        /5000 ms|timed out|timeout/i,
      );
      await expect(client.getPrompt({ name: "stuck__p" }, { timeout: 30_000 })).rejects.toThrow(
        /5000 ms|timed out|timeout/i,
      );
    } finally {
      await client.close();
    }
  });
});
