import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, post, startGateway, type TestGateway } from "./helpers.js";

let t: TestGateway;
let admin: Record<string, string>;

beforeAll(async () => {
  t = await startGateway();
  admin = { authorization: `Bearer ${await t.key(["admin", "tools:call"])}` };
});
afterAll(async () => {
  await t?.close();
});

/** Opens the stream (of `t`, or of another gateway's `url`) and reads events from it as they arrive. */
async function openStream(headers: Record<string, string>, url = t.url) {
  const controller = new AbortController();
  const res = await fetch(`${url}/admin/stream`, { headers, signal: controller.signal });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  /** The next event (name and payload), skipping keep-alive comments. */
  const next = async (): Promise<{ event: string; data: unknown }> => {
    for (;;) {
      const end = buffer.indexOf("\n\n");
      if (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if (event && data) return { event, data: JSON.parse(data) };
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error("the stream ended");
      buffer += value;
    }
  };
  return { res, next, close: () => controller.abort() };
}

describe("GET /admin/stream", () => {
  it("pushes a calls event once calls are audited, and a servers event when a server stops and starts", async () => {
    const stream = await openStream(admin);
    try {
      expect(stream.res.status).toBe(200);
      expect(stream.res.headers.get("content-type")).toMatch(/^text\/event-stream/);
      expect((await stream.next()).event).toBe("ready");

      for (const text of ["one", "two"]) {
        expect(
          (await post(`${t.url}/mcp/execute`, { tool: "local__echo", arguments: { text } }, admin)).status,
        ).toBe(200);
      }
      const calls = await stream.next();
      expect(calls.event).toBe("calls");
      expect((calls.data as { count: number }).count).toBeGreaterThanOrEqual(1);

      expect((await post(`${t.url}/admin/servers/local/disable`, {}, admin)).status).toBe(200);
      let change = await stream.next();
      while (change.event !== "servers") change = await stream.next();
      expect(change.data).toEqual({ server: "local", event: "stopped" });
      expect((await post(`${t.url}/admin/servers/local/enable`, {}, admin)).status).toBe(200);
      change = await stream.next();
      while (change.event !== "servers") change = await stream.next();
      expect(change.data).toMatchObject({ server: "local" });
    } finally {
      stream.close();
    }
  });

  it("ends the stream after timeouts.adminStreamMs, and a reconnect with a key revoked meanwhile is refused", async () => {
    // A short stream lifetime, so the test sees a stream end and its reconnect checked again.
    const short = await startGateway({ timeouts: { adminStreamMs: 2_000 } });
    try {
      const { key, plaintext } = await short.repos.apiKeys.create({
        name: "stream-reader",
        scopes: ["admin"],
      });
      const headers = { authorization: `Bearer ${plaintext}` };
      const stream = await openStream(headers, short.url);
      try {
        expect((await stream.next()).event).toBe("ready");
        await short.repos.apiKeys.revoke(key.id);
        // The stream ends by itself; reading on finds its end.
        await expect(
          (async () => {
            for (;;) await stream.next();
          })(),
        ).rejects.toThrow("the stream ended");
      } finally {
        stream.close();
      }
      const again = await fetch(`${short.url}/admin/stream`, { headers });
      expect(again.status).toBe(401);
    } finally {
      await short.close();
    }
  });

  it("refuses a caller without the admin scope, and one without credentials", async () => {
    const reader = await get(`${t.url}/admin/stream`, {
      authorization: `Bearer ${await t.key(["tools:list"])}`,
    });
    expect(reader.status).toBe(403);
    expect((await get(`${t.url}/admin/stream`)).status).toBe(401);
  });
});
