// Session caps: one key cannot fill the gateway with sessions. At its own cap, or at the global cap, a key gives up
// its least recently used idle session; with none idle it gets 503; other keys' sessions are never touched.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { post, startGateway, type TestGateway } from "./helpers.js";

let t: TestGateway;

beforeAll(async () => {
  t = await startGateway({ mcpMaxSessions: 3, mcpMaxSessionsPerKey: 2 });
});
afterAll(async () => {
  await t?.close();
});

const ACCEPT = "application/json, text/event-stream";

/** Opens a 2025 session for `key`; returns its id, or the refusal. */
async function open(key: string, base = t.url) {
  const res = await post(
    `${base}/mcp`,
    {
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "caps", version: "1" } },
    },
    { authorization: `Bearer ${key}`, accept: ACCEPT },
  );
  return { status: res.status, id: res.headers.get("mcp-session-id"), body: res.body };
}

/** Whether the session still answers (a ping), or is gone (404). */
async function alive(key: string, id: string, base = t.url) {
  const res = await post(
    `${base}/mcp`,
    { jsonrpc: "2.0", id: 1, method: "ping" },
    {
      authorization: `Bearer ${key}`,
      accept: ACCEPT,
      "mcp-session-id": id,
      "mcp-protocol-version": "2025-06-18",
    },
  );
  return res.status !== 404;
}

/** Opens the session's GET stream, which keeps it busy until the returned function closes it. */
async function listen(key: string, id: string, base = t.url) {
  const controller = new AbortController();
  const res = await fetch(`${base}/mcp`, {
    headers: {
      authorization: `Bearer ${key}`,
      accept: "text/event-stream",
      "mcp-session-id": id,
      "mcp-protocol-version": "2025-06-18",
    },
    signal: controller.signal,
  });
  expect(res.status).toBe(200);
  return () => controller.abort();
}

describe("MCP session caps", () => {
  it("a key at its cap gives up its least recently used idle session; at the global cap others get 503", async () => {
    const a = await t.key();
    const b = await t.key();
    const c = await t.key();
    const first = await open(a);
    const second = await open(a);
    expect(await alive(a, second.id!)).toBe(true); // second is now the more recently used
    const third = await open(a);
    expect(third.status).toBe(200);
    expect(await alive(a, first.id!)).toBe(false);
    expect(await alive(a, second.id!)).toBe(true);

    const ofB = await open(b);
    expect(ofB.status).toBe(200);
    // Three sessions open: c has none to give up, and nobody else's are closed for it.
    const refused = await open(c);
    expect(refused.status).toBe(503);
    expect(refused.body.error.message).toContain("Too many open MCP sessions (3)");
    expect(await alive(b, ofB.id!)).toBe(true);
    // b at the global cap gives up its own idle session.
    const again = await open(b);
    expect(again.status).toBe(200);
    expect(await alive(b, ofB.id!)).toBe(false);
    expect(await alive(a, second.id!)).toBe(true);
    expect(await alive(a, third.id!)).toBe(true);
  });

  it("a key whose sessions are all busy gets 503 naming the per-key cap, and keeps them", async () => {
    const g = await startGateway({ mcpMaxSessions: 10, mcpMaxSessionsPerKey: 2 });
    try {
      const key = await g.key();
      const closers = [];
      for (let i = 0; i < 2; i++) {
        const { id } = await open(key, g.url);
        closers.push(await listen(key, String(id), g.url));
      }
      const refused = await open(key, g.url);
      expect(refused.status).toBe(503);
      expect(refused.body.error.message).toContain("per-key cap is 2");
      for (const close of closers) close();
    } finally {
      await g.close();
    }
  });
});

describe("revocation", () => {
  it("closes a revoked key's sessions and their open streams, and leaves other keys' alone", async () => {
    // A gateway of its own: the caps above are full by now.
    const g = await startGateway();
    try {
      const revoked = await g.key();
      const other = await g.key();
      const mine = await open(revoked, g.url);
      const theirs = await open(other, g.url);
      const stream = await fetch(`${g.url}/mcp`, {
        headers: {
          authorization: `Bearer ${revoked}`,
          accept: "text/event-stream",
          "mcp-session-id": String(mine.id),
          "mcp-protocol-version": "2025-06-18",
        },
      });
      expect(stream.status).toBe(200);
      const ended = stream.body!.pipeTo(new WritableStream()).then(
        () => "ended",
        () => "ended",
      );
      const verified = await g.repos.apiKeys.verify(revoked);
      if (!verified.ok) throw new Error("the key should verify before it is revoked");
      await g.repos.apiKeys.revoke(verified.key.id);
      // The key check runs every second; the stream ends without the client doing anything.
      expect(await ended).toBe("ended");
      expect(await alive(other, String(theirs.id), g.url)).toBe(true);
    } finally {
      await g.close();
    }
  });
});
