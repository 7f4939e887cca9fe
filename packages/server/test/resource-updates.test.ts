// Resource subscriptions to an in-process plugin: the plugin says a resource changed (notifyResourceUpdated), and
// every subscriber hears it, a 2025 session through resources/subscribe and a 2026-07-28 client through
// subscriptions/listen. A plugin that cannot send updates has its subscriptions refused, not silently kept.
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernTransport,
} from "@modelcontextprotocol/client";
import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { definePlugin, tool } from "@waygate/plugin-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient, startGateway, type TestGateway } from "./helpers.js";

const URI = "notes://today";
let text = "first";
const notes = definePlugin({
  name: "notes",
  version: "1.0.0",
  resources: [{ resource: { uri: URI, name: "today" }, read: () => ({ contents: [{ uri: URI, text }] }) }],
  tools: {
    write: tool({
      description: "Changes today's note and says so to subscribers",
      input: {},
      handler: () => {
        text = `changed ${Date.now()}`;
        notes.notifyResourceUpdated(URI);
        return "written";
      },
    }),
  },
});
// The same plugin without the subscription hooks, as a plugin written without the SDK's helpers would be.
const {
  subscribeResource: _s,
  onResourceUpdated: _o,
  ...rest
} = definePlugin({
  name: "mute",
  version: "1.0.0",
  resources: [
    {
      resource: { uri: "mute://x", name: "x" },
      read: () => ({ contents: [{ uri: "mute://x", text: "x" }] }),
    },
  ],
});
const mute = rest;

let t: TestGateway;
let key: string;
beforeAll(async () => {
  t = await startGateway({ plugins: [notes, mute] });
  key = await t.key(["tools:list", "tools:call", "resources:read", "resources:list"]);
});
afterAll(async () => {
  await t?.close();
});

describe("resource subscriptions to an in-process plugin", () => {
  it("deliver the plugin's updates to a 2025 session that subscribed", async () => {
    const client = await connectClient(`${t.url}/mcp`, key);
    try {
      const heard: string[] = [];
      client.setNotificationHandler(ResourceUpdatedNotificationSchema, async (note) => {
        heard.push(note.params.uri);
      });
      await client.subscribeResource({ uri: URI });
      await client.callTool({ name: "notes__write", arguments: {} });
      await expect.poll(() => heard, { timeout: 5000 }).toEqual([URI]);
      await client.unsubscribeResource({ uri: URI });
      await client.callTool({ name: "notes__write", arguments: {} });
      // A later call's answer arrives after any notification sent before it on the same session.
      await client.callTool({ name: "notes__write", arguments: {} }).catch(() => undefined);
      expect(heard).toEqual([URI]);
    } finally {
      await client.close();
    }
  });

  it("deliver the plugin's updates to a 2026-07-28 client listening for that URI", async () => {
    const client = new ModernClient(
      { name: "modern-test", version: "1.0.0" },
      { versionNegotiation: { mode: { pin: "2026-07-28" } } },
    );
    await client.connect(
      new ModernTransport(new URL(`${t.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${key}` } },
      }),
    );
    try {
      const heard: string[] = [];
      client.setNotificationHandler("notifications/resources/updated", async (note) => {
        heard.push(note.params.uri);
      });
      const subscription = await client.listen({ resourceSubscriptions: [URI] });
      await client.callTool({ name: "notes__write", arguments: {} });
      await expect.poll(() => heard, { timeout: 5000 }).toContain(URI);
      await subscription.close();
    } finally {
      await client.close();
    }
  });

  it("refuse a subscription to a plugin that cannot send updates, naming it", async () => {
    const client = await connectClient(`${t.url}/mcp`, key);
    try {
      await expect(client.subscribeResource({ uri: "mute://x" })).rejects.toThrow(
        /Server 'mute' does not send resource updates, so 'mute:\/\/x' cannot be subscribed to/,
      );
    } finally {
      await client.close();
    }
  });
});
