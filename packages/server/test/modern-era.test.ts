// The 2026-07-28 era at the gateway's front end: the SDK v2 client in a pinned modern connection lists, calls, is asked
// mid-call through input_required rounds, hears list changes through subscriptions/listen, and is held to the same
// policy as a 2025 client. Malformed modern requests are refused before anything runs, and audited as nothing.
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { post, readMcpBody, startGateway, type TestGateway } from "./helpers.js";

let t: TestGateway;
let key: string;

beforeAll(async () => {
  t = await startGateway();
  key = await t.key(["tools:list", "tools:call", "admin"]);
});
afterAll(async () => {
  await t?.close();
});

interface Captured {
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** A modern client on `path`; every request it sends is kept, so tests can replay and tamper with them. */
async function modernClient(withKey: string, capabilities: Record<string, object> = {}, path = "/mcp") {
  const sent: Captured[] = [];
  const client = new Client(
    { name: "modern-test", version: "1.0.0" },
    { versionNegotiation: { mode: { pin: "2026-07-28" } }, capabilities },
  );
  const transport = new StreamableHTTPClientTransport(new URL(`${t.url}${path}`), {
    requestInit: { headers: { authorization: `Bearer ${withKey}` } },
    fetch: async (input, init) => {
      if (typeof init?.body === "string") {
        sent.push({
          headers: Object.fromEntries(new Headers(init.headers).entries()),
          body: JSON.parse(init.body),
        });
      }
      return fetch(input, init);
    },
  });
  await client.connect(transport);
  return { client, sent };
}

const sampler = (client: Client) =>
  client.setRequestHandler("sampling/createMessage", async (request) => ({
    role: "assistant" as const,
    model: "test-model",
    content: {
      type: "text" as const,
      text: `four (asked: ${(request.params.messages[0]!.content as { text: string }).text})`,
    },
  }));

/** Replays a captured request with changes to its body and headers. */
const replay = (
  captured: Captured,
  change: { body?: (body: Record<string, unknown>) => unknown; headers?: Record<string, string> },
  withKey = key,
) =>
  post(`${t.url}/mcp`, change.body ? change.body(structuredClone(captured.body)) : captured.body, {
    ...captured.headers,
    authorization: `Bearer ${withKey}`,
    ...change.headers,
  });

describe("2026-07-28 clients", () => {
  it("connect without initialize, list and call, and every call is audited with its method", async () => {
    const { client, sent } = await modernClient(key);
    try {
      expect(client.getProtocolEra()).toBe("modern");
      expect(sent.map((s) => s.body.method)).toEqual(["server/discover"]);
      const tools = await client.listTools();
      const names = tools.tools.map((tool) => tool.name);
      expect(names).toContain("local__echo");
      // Merged lists come sorted, and marked private to the caller (they are filtered per key).
      expect(names).toEqual([...names].sort());
      expect(tools).toMatchObject({ cacheScope: "private", ttlMs: expect.any(Number) });
      const result = await client.callTool({ name: "local__echo", arguments: { text: "modern" } });
      expect(result.content).toEqual([{ type: "text", text: "modern" }]);
      const rows = await t.auditRows();
      expect(
        rows.some((r) => r.tool === "echo" && r.outcome === "ok" && r.arguments === '{"text":"modern"}'),
      ).toBe(true);
      expect(rows.some((r) => r.method === "tools/list")).toBe(true);
    } finally {
      await client.close();
    }
  });

  it("answer a tool's sampling request through an input_required round, and the call completes", async () => {
    const { client, sent } = await modernClient(key, { sampling: {} });
    try {
      sampler(client);
      const result = await client.callTool({ name: "local__ask", arguments: { question: "2+2?" } });
      expect(result.content).toEqual([{ type: "text", text: "model said: four (asked: 2+2?)" }]);
      // Two rounds on the wire: the call, then the retry carrying the answer and the gateway's request state.
      const calls = sent.filter((s) => s.body.method === "tools/call");
      expect(calls).toHaveLength(2);
      const retry = calls[1]!.body.params as {
        requestState?: string;
        inputResponses?: Record<string, unknown>;
      };
      expect(typeof retry.requestState).toBe("string");
      expect(Object.keys(retry.inputResponses ?? {})).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it("that declared no sampling get the tool's refusal at once, not an input_required round they cannot answer", async () => {
    const { client, sent } = await modernClient(key);
    try {
      const result = await client.callTool({ name: "local__ask", arguments: { question: "2+2?" } });
      expect(result.isError).toBe(true);
      expect((result.content as { text: string }[])[0]!.text).toContain(
        "did not declare the sampling capability",
      );
      expect(sent.filter((s) => s.body.method === "tools/call")).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it("reading a resource no server has gets an error naming the URI", async () => {
    const { client } = await modernClient(key);
    try {
      await expect(client.readResource({ uri: "nowhere://missing" })).rejects.toMatchObject({
        data: { uri: "nowhere://missing" },
      });
    } finally {
      await client.close();
    }
  });

  it("get progress notifications of a call on its own response", async () => {
    const { client } = await modernClient(key);
    try {
      const progress: number[] = [];
      const result = await client.callTool(
        { name: "local__slow", arguments: { ms: 5 } },
        { onprogress: (p) => progress.push(p.progress) },
      );
      expect(result.content).toEqual([{ type: "text", text: "waited 5" }]);
      expect(progress).toEqual([0, 2]);
    } finally {
      await client.close();
    }
  });

  it("hear of a server's changed tools through subscriptions/listen", async () => {
    const { client } = await modernClient(key);
    try {
      let notified = 0;
      client.setNotificationHandler("notifications/tools/list_changed", async () => {
        notified++;
      });
      const subscription = await client.listen({ toolsListChanged: true });
      expect(subscription.honoredFilter).toMatchObject({ toolsListChanged: true });
      await post(`${t.url}/mcp/servers/local/reload`, {}, { authorization: `Bearer ${key}` });
      await expect.poll(() => notified, { timeout: 5000 }).toBeGreaterThan(0);
      await subscription.close();
    } finally {
      await client.close();
    }
  });

  it("see their listen stream on a server's own endpoint end when the server is disabled, and listen again once it is back", async () => {
    const admin = await t.key(["admin", "tools:list", "tools:call"]);
    const { client } = await modernClient(admin, {}, "/servers/local/mcp");
    try {
      const subscription = await client.listen({ toolsListChanged: true });
      const disabled = await post(
        `${t.url}/admin/servers/local/disable`,
        {},
        { authorization: `Bearer ${admin}` },
      );
      expect(disabled.status).toBe(200);
      await expect(subscription.closed).resolves.not.toBe("local");
      const enabled = await post(
        `${t.url}/admin/servers/local/enable`,
        {},
        { authorization: `Bearer ${admin}` },
      );
      expect(enabled.status).toBe(200);
      const again = await client.listen({ toolsListChanged: true });
      expect(again.honoredFilter).toMatchObject({ toolsListChanged: true });
      await again.close();
    } finally {
      await client.close();
    }
  });

  it("are held to the key's patterns and scopes like 2025 clients", async () => {
    const narrow = await t.key(["tools:list", "tools:call"], { toolPatterns: ["local__echo"] });
    const { client } = await modernClient(narrow);
    try {
      expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(["local__echo"]);
      await expect(client.callTool({ name: "local__slow", arguments: { ms: 1 } })).rejects.toMatchObject({
        code: -32003,
      });
    } finally {
      await client.close();
    }
    const listOnly = await t.key(["tools:list"]);
    const { client: lister } = await modernClient(listOnly);
    try {
      await expect(lister.callTool({ name: "local__echo", arguments: { text: "x" } })).rejects.toMatchObject({
        code: -32003,
        message: expect.stringContaining("'tools:call'"),
      });
    } finally {
      await lister.close();
    }
  });
});

describe("malformed 2026-07-28 requests", () => {
  /** A real tools/list request of a modern client, and the audit row count before anything is replayed. */
  const captureList = async () => {
    const { client, sent } = await modernClient(key);
    await client.listTools();
    await client.close();
    const list = sent.find((s) => s.body.method === "tools/list");
    if (!list) throw new Error("the client sent no tools/list");
    return list;
  };
  const auditCount = async () => (await t.auditRows()).length;

  it("a replayed request is served, so the refusals below are about what was changed", async () => {
    const list = await captureList();
    const res = await replay(list, {});
    expect(res.status).toBe(200);
    expect(res.body.result.tools.length).toBeGreaterThan(0);
  });

  it("an unsupported protocol version gets -32022 with the supported list", async () => {
    const list = await captureList();
    const before = await auditCount();
    const res = await replay(list, {
      headers: { "mcp-protocol-version": "2099-01-01" },
      body: (body) => {
        const meta = (body.params as { _meta: Record<string, unknown> })._meta;
        meta["io.modelcontextprotocol/protocolVersion"] = "2099-01-01";
        return body;
      },
    });
    expect(res.body.error).toMatchObject({
      code: -32022,
      data: { supported: expect.arrayContaining(["2026-07-28"]) },
    });
    expect(await auditCount()).toBe(before);
  });

  it("a request without a required _meta field gets -32602 naming the field", async () => {
    const list = await captureList();
    const before = await auditCount();
    const res = await replay(list, {
      body: (body) => {
        const meta = (body.params as { _meta: Record<string, unknown> })._meta;
        delete meta["io.modelcontextprotocol/protocolVersion"];
        return body;
      },
    });
    expect(res.body.error.code).toBe(-32602);
    expect(JSON.stringify(res.body.error)).toContain("protocolVersion");
    expect(await auditCount()).toBe(before);
  });

  it("an Mcp-Method header that disagrees with the body gets -32020", async () => {
    const list = await captureList();
    const before = await auditCount();
    const res = await replay(list, { headers: { "mcp-method": "tools/call" } });
    expect(res.body.error.code).toBe(-32020);
    expect(await auditCount()).toBe(before);
  });

  it("a tampered input_required state is refused, and another caller cannot resume a round", async () => {
    // Start a call that asks the client to sample, and stop at the input_required round.
    const { client, sent } = await modernClient(key, { sampling: {} });
    client.setRequestHandler("sampling/createMessage", async () => {
      throw new Error("this test answers the round by hand");
    });
    await client.callTool({ name: "local__ask", arguments: { question: "q" } }).catch(() => {});
    await client.close();
    const first = sent.find((s) => s.body.method === "tools/call");
    if (!first) throw new Error("no tools/call was sent");
    const res = await replay(first, {});
    const round = res.body.result as { requestState: string; inputRequests: Record<string, unknown> };
    expect(round).toMatchObject({ resultType: "input_required", requestState: expect.any(String) });
    const [questionKey] = Object.keys(round.inputRequests);
    const answer = {
      [questionKey!]: { role: "assistant", model: "m", content: { type: "text", text: "by hand" } },
    };
    const resume = (state: string, withKey = key) =>
      replay(
        first,
        {
          body: (body) => {
            (body.params as Record<string, unknown>).requestState = state;
            (body.params as Record<string, unknown>).inputResponses = answer;
            return body;
          },
        },
        withKey,
      );

    const tampered = round.requestState.slice(0, -2) + (round.requestState.endsWith("AA") ? "BB" : "AA");
    const refused = await resume(tampered);
    expect(refused.body.error).toMatchObject({ code: -32602, message: "Invalid or expired requestState" });

    const other = await t.key(["tools:list", "tools:call"]);
    const stolen = await resume(round.requestState, other);
    expect(stolen.body.error.code).toBe(-32602);

    const done = await resume(round.requestState);
    expect(done.body.result.content).toEqual([{ type: "text", text: "model said: by hand" }]);
    // The round was used: it cannot be replayed.
    const again = await resume(round.requestState);
    expect(again.body.error.code).toBe(-32602);
  });
});

describe("2025 and 2026 clients side by side", () => {
  it("a 2025 request without a session is still told to initialize, and a 2026 one is served", async () => {
    const legacy = await post(
      `${t.url}/mcp`,
      { jsonrpc: "2.0", id: 1, method: "tools/list" },
      { authorization: `Bearer ${key}`, accept: "application/json, text/event-stream" },
    );
    expect(legacy.status).toBe(400);
    expect(legacy.body.error.message).toContain("send initialize first");
    const response = await fetch(`${t.url}/mcp`, {
      method: "GET",
      headers: { authorization: `Bearer ${key}` },
    });
    expect(response.status).toBe(400);
    await readMcpBody(response);
  });
});
