// Both protocol eras on both sides of the gateway: 2025 and 2026-07-28 clients, times 2025 and 2026-07-28 upstreams,
// over stdio and Streamable HTTP. Each pair runs tools that ask the client's model (sampling), ask the user
// (elicitation) and report progress, so the gateway translates between server-to-client requests and input_required
// rounds in both directions.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Client as ModernClient, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import type { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { CreateMessageRequestSchema, ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient, startGateway, type TestGateway } from "./helpers.js";

const FIXTURE = fileURLToPath(new URL("../../../fixtures/modern-server.ts", import.meta.url));
const TSX = import.meta.resolve("tsx");

let t: TestGateway;
let key: string;
const children: ChildProcess[] = [];

/** Starts the fixture over HTTP on a free port; resolves with its URL once it listens. */
async function httpFixture(legacy: boolean): Promise<string> {
  const child = spawn(
    process.execPath,
    ["--import", TSX, FIXTURE, "--http", "--port", "0", ...(legacy ? ["--legacy"] : [])],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  children.push(child);
  for await (const line of createInterface({ input: child.stdout! })) {
    const url = /listening on (\S+)/.exec(line)?.[1];
    if (url) return url;
  }
  throw new Error("the fixture exited before listening");
}

const stdioFixture = (legacy: boolean) => ({
  command: process.execPath,
  args: ["--import", TSX, FIXTURE, ...(legacy ? ["--legacy"] : [])],
});

beforeAll(async () => {
  const [modernHttp, legacyHttp] = await Promise.all([httpFixture(false), httpFixture(true)]);
  t = await startGateway({
    upstreams: {
      modernstdio: stdioFixture(false),
      legacystdio: stdioFixture(true),
      modernhttp: { url: modernHttp },
      legacyhttp: { url: legacyHttp },
    },
    // The HTTP fixtures listen on loopback, which the egress policy refuses unless allowed.
    egress: { allow: ["127.0.0.1/32"] },
  });
  key = await t.key();
}, 60_000);

afterAll(async () => {
  await t?.close();
  for (const child of children) {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
  }
});

/** What every client in the matrix can do: call a tool, with a callback for progress. */
interface MatrixClient {
  call(
    name: string,
    args: Record<string, unknown>,
    onProgress?: (progress: number) => void,
    meta?: Record<string, string>,
  ): Promise<string>;
  close(): Promise<void>;
}

const MODEL_REPLY = "four";
const ELICITED = { ok: true };

async function legacyClient(): Promise<MatrixClient> {
  const client: LegacyClient = await connectClient(`${t.url}/mcp`, key, {
    capabilities: { capabilities: { sampling: {}, elicitation: {} } },
  });
  client.setRequestHandler(CreateMessageRequestSchema, async () => ({
    role: "assistant",
    model: "test",
    content: { type: "text", text: MODEL_REPLY },
  }));
  client.setRequestHandler(ElicitRequestSchema, async () => ({ action: "accept", content: ELICITED }));
  return {
    async call(name, args, onProgress, meta) {
      const result = await client.callTool(
        { name, arguments: args, ...(meta ? { _meta: meta } : {}) },
        undefined,
        {
          ...(onProgress ? { onprogress: (p: { progress: number }) => onProgress(p.progress) } : {}),
        },
      );
      return (result.content as { text: string }[])[0]!.text;
    },
    close: () => client.close(),
  };
}

async function modernClient(): Promise<MatrixClient> {
  const client = new ModernClient(
    { name: "matrix-modern", version: "1.0.0" },
    { versionNegotiation: { mode: { pin: "2026-07-28" } }, capabilities: { sampling: {}, elicitation: {} } },
  );
  client.setRequestHandler("sampling/createMessage", async () => ({
    role: "assistant" as const,
    model: "test",
    content: { type: "text" as const, text: MODEL_REPLY },
  }));
  client.setRequestHandler("elicitation/create", async () => ({
    action: "accept" as const,
    content: ELICITED,
  }));
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
    }),
  );
  expect(client.getProtocolEra()).toBe("modern");
  return {
    async call(name, args, onProgress, meta) {
      const result = await client.callTool(
        { name, arguments: args, ...(meta ? { _meta: meta } : {}) },
        onProgress ? { onprogress: (p) => onProgress(p.progress) } : undefined,
      );
      return (result.content as { text: string }[])[0]!.text;
    },
    close: () => client.close(),
  };
}

const clients = { "2025 client": legacyClient, "2026-07-28 client": modernClient };
const upstreams = ["modernstdio", "modernhttp", "legacystdio", "legacyhttp"];

describe.each(Object.entries(clients))("%s", (_label, open) => {
  it.each(upstreams)(
    "through the %s upstream: samples, elicits, reports progress and keeps the trace",
    async (upstream) => {
      const client = await open();
      try {
        expect(await client.call(`${upstream}__era`, {})).toBe(
          upstream.startsWith("modern") ? "modern" : "legacy",
        );
        expect(await client.call(`${upstream}__sample`, { prompt: "2+2?" })).toBe(
          `model said: ${MODEL_REPLY}`,
        );
        expect(await client.call(`${upstream}__elicit`, { message: "ok?" })).toBe(
          `accept ${JSON.stringify(ELICITED)}`,
        );
        const progress: number[] = [];
        expect(await client.call(`${upstream}__slow`, { ms: 30, steps: 3 }, (p) => progress.push(p))).toBe(
          "slept 30",
        );
        expect(progress).toEqual([1, 2, 3]);
        // The caller's trace context reaches the upstream; a malformed one is not passed on.
        const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        expect(await client.call(`${upstream}__trace`, {}, undefined, { traceparent })).toBe(traceparent);
        expect(await client.call(`${upstream}__trace`, {}, undefined, { traceparent: "not-a-trace" })).toBe(
          "none",
        );
      } finally {
        await client.close();
      }
    },
  );
});

describe("a 2026-07-28 upstream's input_required rounds, passed on to a 2026-07-28 client", () => {
  const connect = async (capabilities: Record<string, object>) => {
    const client = new ModernClient(
      { name: "rounds", version: "1.0.0" },
      { versionNegotiation: { mode: { pin: "2026-07-28" } }, capabilities },
    );
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${key}` } },
      }),
    );
    return client;
  };

  it("keep the upstream's names for their questions", async () => {
    const client = await connect({ elicitation: {} });
    try {
      const round = await client.callTool(
        { name: "modernhttp__elicit", arguments: { message: "ok?" } },
        { allowInputRequired: true },
      );
      expect(round).toMatchObject({ resultType: "input_required", requestState: expect.any(String) });
      expect(Object.keys((round as unknown as { inputRequests: object }).inputRequests)).toEqual(["answer"]);
    } finally {
      await client.close();
    }
  });

  it("take answers the client sent with its first request, and ask nothing", async () => {
    const client = await connect({ elicitation: {} });
    try {
      // A 2026-07-28 retry's params: the answers ride beside name and arguments.
      const params = {
        name: "modernstdio__elicit",
        arguments: { message: "ok?" },
        inputResponses: {
          answer: { action: "accept", content: { ok: true } },
          unrelated: { action: "decline" },
        },
      };
      const result = await client.callTool(params, { allowInputRequired: true });
      expect(result).toMatchObject({ content: [{ type: "text", text: 'accept {"ok":true}' }] });
    } finally {
      await client.close();
    }
  });

  it("fail the call with -32021 for a client that did not declare the capability", async () => {
    const client = await connect({});
    try {
      await expect(
        client.callTool({ name: "modernstdio__elicit", arguments: { message: "ok?" } }),
      ).rejects.toMatchObject({ code: -32021 });
    } finally {
      await client.close();
    }
  });
});
