import { InMemoryTransport, type JSONRPCMessage } from "@modelcontextprotocol/client";
import { afterEach, describe, expect, it } from "vitest";
import { BridgeClient } from "../src/bridge/bridge-client.js";

/**
 * A raw upstream on an in-memory link: it answers initialize, then each tools/call with whatever result `answer`
 * gives for the tool, unchecked, so the client's own result validation is what the tests see. An in-memory link,
 * not a real server: a real MCP server validates its own results and could not send a malformed one.
 */
async function connect(answer: (tool: string) => unknown) {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const reply = (message: JSONRPCMessage) => void serverSide.send(message);
  serverSide.onmessage = (message) => {
    if (!("id" in message) || !("method" in message)) return;
    if (message.method === "initialize") {
      reply({
        jsonrpc: "2.0",
        id: message.id,
        result: {
          protocolVersion: "2025-11-25",
          capabilities: { tools: {} },
          serverInfo: { name: "raw", version: "1.0.0" },
        },
      });
    } else if (message.method === "tools/call") {
      const name = (message.params as { name: string }).name;
      reply({ jsonrpc: "2.0", id: message.id, result: answer(name) as Record<string, unknown> });
    } else {
      reply({ jsonrpc: "2.0", id: message.id, error: { code: -32601, message: "Method not found" } });
    }
  };
  await serverSide.start();
  const client = new BridgeClient(
    { name: "test", version: "1.0.0" },
    { versionNegotiation: { mode: "legacy" } },
  );
  await client.connect(clientSide);
  return client;
}

describe("BridgeClient (the bridge's SDK client, its result checks built once per era and method)", () => {
  const open: BridgeClient[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((client) => client.close()));
  });

  const results: Record<string, unknown> = {
    good: { content: [{ type: "text", text: "fine" }] },
    bad: { content: "not a list of blocks" },
  };

  it("accepts a well-formed result, again and again from the same check", async () => {
    const client = await connect((tool) => results[tool]);
    open.push(client);
    for (let i = 0; i < 3; i++) {
      expect(await client.callTool({ name: "good", arguments: {} })).toEqual(results.good);
    }
  });

  it("still refuses a malformed result with the SDK's validation error, after a good one built the check", async () => {
    const client = await connect((tool) => results[tool]);
    open.push(client);
    await client.callTool({ name: "good", arguments: {} });
    await expect(client.callTool({ name: "bad", arguments: {} })).rejects.toThrow(/content/);
    // The check is not spoiled by a failure: the next good result passes.
    expect(await client.callTool({ name: "good", arguments: {} })).toEqual(results.good);
  });

  it("refuses a malformed result on the first call too (the check built by a failing call)", async () => {
    const client = await connect((tool) => results[tool]);
    open.push(client);
    await expect(client.callTool({ name: "bad", arguments: {} })).rejects.toThrow(/content/);
  });

  it("leaves a method outside the spec to the SDK, which asks for a result schema", async () => {
    const client = await connect((tool) => results[tool]);
    open.push(client);
    expect(() => client.request({ method: "vendor/extension" } as never)).toThrow(/pass a result schema/);
  });

  it("passes an explicit result schema through to the SDK unchanged", async () => {
    const client = await connect((tool) => results[tool]);
    open.push(client);
    const seen: unknown[] = [];
    const schema = {
      "~standard": {
        version: 1 as const,
        vendor: "test",
        validate: (value: unknown) => {
          seen.push(value);
          return { value };
        },
      },
    };
    const result = await client.request(
      { method: "tools/call", params: { name: "bad", arguments: {} } },
      schema,
    );
    expect(result).toEqual(results.bad);
    expect(seen).toEqual([results.bad]);
  });
});
