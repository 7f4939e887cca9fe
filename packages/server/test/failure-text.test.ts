// In production a caller learns that a call failed and its request id, not the failure's text (which can name paths,
// URLs or an upstream's internals); the audit row keeps the text. A tool's own error answer passes through as is.
import { definePlugin, errorResult, tool } from "@waygate/plugin-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient, localPlugin, startGateway, type TestGateway } from "./helpers.js";

/** A tool whose error answer is the tool's own, for the model to read. */
const answers = definePlugin({
  name: "answers",
  version: "1.0.0",
  tools: {
    lookup: tool({
      description: "Finds nothing, and says so",
      input: {},
      handler: () => errorResult("nothing found for 'x'; try another name"),
    }),
  },
});

let production: TestGateway;
let development: TestGateway;

beforeAll(async () => {
  production = await startGateway({ env: "production", plugins: [localPlugin(), answers] });
  development = await startGateway();
});
afterAll(async () => {
  await production?.close();
  await development?.close();
});

const textOf = (result: unknown) => (result as { content: { text: string }[] }).content[0]!.text;

describe("the text of a failed call", () => {
  it("is withheld from callers in production, with the request id, and kept in the audit row", async () => {
    const client = await connectClient(`${production.url}/mcp`, await production.key());
    try {
      const result = await client.callTool({ name: "local__fail", arguments: {} });
      expect(result.isError).toBe(true);
      expect(textOf(result)).not.toContain("on purpose");
      const requestId = /request id (\S+)$/.exec(textOf(result))?.[1];
      expect(requestId).toBeTruthy();
      const row = (await production.auditRows()).find((r) => r.request_id === requestId);
      expect(String(row?.error)).toContain("the tool failed on purpose");
    } finally {
      await client.close();
    }
  });

  it("does not touch a tool's own error answer in production", async () => {
    const client = await connectClient(`${production.url}/mcp`, await production.key());
    try {
      const result = await client.callTool({ name: "answers__lookup", arguments: {} });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toBe("nothing found for 'x'; try another name");
    } finally {
      await client.close();
    }
  });

  it("reaches the caller outside production", async () => {
    const client = await connectClient(`${development.url}/mcp`, await development.key());
    try {
      const result = await client.callTool({ name: "local__fail", arguments: {} });
      expect(textOf(result)).toContain("the tool failed on purpose");
    } finally {
      await client.close();
    }
  });
});
