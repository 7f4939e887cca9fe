import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createRepositories, openDatabase } from "@waygate/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createGateway, createLogger } from "../src/index.js";
import {
  connectClient,
  get,
  localPlugin,
  memoryLogger,
  post,
  put,
  SECRET_KEY,
  startGateway,
  type TestGateway,
} from "./helpers.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
const sdkUrl = pathToFileURL(createRequire(import.meta.url).resolve("@waygate/plugin-sdk")).href;

/** Writes a plugin module whose `which` tool answers `answer`; a fresh import sees the file's new text. */
function writeFilePlugin(path: string, answer: string): void {
  writeFileSync(
    path,
    `import { definePlugin, tool } from ${JSON.stringify(sdkUrl)};
export default definePlugin({ name: "filed", version: "2.0.0", tools: {
  which: tool({ description: "Says which code runs", input: {}, handler: () => ${JSON.stringify(answer)} }),
} });
`,
  );
}

async function callTool(url: string, key: string, tool: string, args: Record<string, unknown> = {}) {
  return post(`${url}/mcp/execute`, { tool, arguments: args }, auth(key));
}

describe("plugin registry", () => {
  it("records loads and failed imports, lists them with GET /plugins, and reloads a file plugin's code", async () => {
    const dir = mkdtempSync(join(tmpdir(), "waygate-plugins-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "filed.mjs");
    writeFilePlugin(file, "first code");
    let imports = 0;
    // What the gateway app does for a path plugin: a cache-busting query gives a fresh module instance.
    const importFresh = async () =>
      ((await import(`${pathToFileURL(file).href}?reload=${++imports}`)) as { default: object }).default;
    const t: TestGateway = await startGateway({
      instanceId: "replica-a",
      plugins: [
        localPlugin(),
        { plugin: await importFresh(), source: "./filed.mjs", version: "2.0.0", reimport: importFresh },
      ],
      pluginFailures: [
        { name: "broken", source: "./broken.mjs", version: null, error: "SyntaxError: Unexpected token" },
      ],
    });
    cleanups.push(() => t.close());
    const key = await t.key(["tools:list", "tools:call", "metrics:read"]);
    const admin = await t.key(["admin", "tools:list", "tools:call"]);

    // Without metrics:read (or admin) the error text is withheld, as /health withholds its details.
    const plain = await get(`${t.url}/plugins`, auth(await t.key(["tools:list"])));
    expect(plain.body.plugins.find((p: { name: string }) => p.name === "broken")).toMatchObject({
      status: "failed",
      lastError: null,
    });
    const listed = await get(`${t.url}/plugins`, auth(key));
    expect(listed.status).toBe(200);
    expect(listed.body.instanceId).toBe("replica-a");
    const byName = Object.fromEntries(listed.body.plugins.map((p: { name: string }) => [p.name, p]));
    expect(byName.local).toMatchObject({
      status: "loaded",
      source: "embedded",
      version: "1.0.0",
      loadCount: 1,
    });
    expect(byName.filed).toMatchObject({
      status: "loaded",
      source: "./filed.mjs",
      version: "2.0.0",
      loadCount: 1,
    });
    expect(byName.broken).toMatchObject({
      status: "failed",
      lastError: "SyntaxError: Unexpected token",
      errorCount: 1,
      loadCount: 0,
      instanceId: "replica-a",
    });
    expect(byName.local.instances).toEqual([
      expect.objectContaining({ instanceId: "replica-a", state: "ready", status: "loaded" }),
    ]);

    expect((await callTool(t.url, key, "filed__which")).body.result.content[0].text).toBe("first code");
    writeFilePlugin(file, "second code");
    const reloaded = await post(`${t.url}/plugins/filed/reload`, {}, auth(admin));
    expect(reloaded.status).toBe(200);
    expect(reloaded.body).toMatchObject({ reloaded: true, code: "reloaded", plugin: "filed" });
    expect((await callTool(t.url, key, "filed__which")).body.result.content[0].text).toBe("second code");
    const after = (await get(`${t.url}/plugins`, auth(key))).body.plugins.find(
      (p: { name: string }) => p.name === "filed",
    );
    expect(after).toMatchObject({ status: "loaded", loadCount: 2 });

    // Code that no longer imports leaves the loaded code running.
    writeFileSync(file, "export default {");
    const broken = await post(`${t.url}/plugins/filed/reload`, {}, auth(admin));
    expect(broken.status).toBe(502);
    expect(broken.body.error.message).toContain("could not be re-imported");
    expect(broken.body.error.message).toContain("keeps running");
    expect((await callTool(t.url, key, "filed__which")).body.result.content[0].text).toBe("second code");

    // A plugin passed in as an object restarts with its code, and the answer says so.
    const restarted = await post(`${t.url}/plugins/local/reload`, {}, auth(admin));
    expect(restarted.body).toMatchObject({ reloaded: true, code: "restarted" });
    expect(restarted.body.note).toContain("Restart the gateway to load a new version");
  });

  it("answers an unknown plugin's reload with 404 naming it, and refuses reload without admin", async () => {
    const t = await startGateway({ instanceId: "solo" });
    cleanups.push(() => t.close());
    const admin = await t.key(["admin"]);
    const unknown = await post(`${t.url}/plugins/nope/reload`, {}, auth(admin));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain("Unknown plugin 'nope'");
    const user = await t.key(["tools:list", "tools:call"]);
    const refused = await post(`${t.url}/plugins/local/reload`, {}, auth(user));
    expect(refused.status).toBe(403);
    const noList = await get(`${t.url}/plugins`, auth(await t.key(["tools:call"])));
    expect(noList.status).toBe(403);
  });

  it("retries a failed import on reload and starts the plugin once it imports", async () => {
    const dir = mkdtempSync(join(tmpdir(), "waygate-plugins-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "filed.mjs");
    writeFileSync(file, "export default {");
    let imports = 0;
    const importFresh = async () =>
      ((await import(`${pathToFileURL(file).href}?reload=${++imports}`)) as { default: object }).default;
    const t = await startGateway({
      plugins: [],
      pluginFailures: [
        { name: "filed", source: "./filed.mjs", version: null, error: "SyntaxError", reimport: importFresh },
      ],
    });
    cleanups.push(() => t.close());
    const admin = await t.key(["admin", "tools:list", "tools:call"]);
    const still = await post(`${t.url}/plugins/filed/reload`, {}, auth(admin));
    expect(still.status).toBe(502);
    expect(still.body.error.message).toContain("still fails to import");
    writeFilePlugin(file, "fixed");
    const fixed = await post(`${t.url}/plugins/filed/reload`, {}, auth(admin));
    expect(fixed.status).toBe(200);
    expect(fixed.body.server).toMatchObject({ name: "filed", state: "ready" });
    expect((await callTool(t.url, admin, "filed__which")).body.result.content[0].text).toBe("fixed");
    const row = await t.repos.plugins.get("filed");
    expect(row).toMatchObject({ status: "loaded", errorCount: 2, loadCount: 1 });
  });
});

describe("two replicas on one database", () => {
  it("see each other's plugin status and apply a runtime setting change within the sync interval", async () => {
    const dir = mkdtempSync(join(tmpdir(), "waygate-replicas-"));
    const url = `file:${join(dir, "waygate.db")}`;
    const replica = async (instanceId: string) => {
      const db = await openDatabase({ url });
      const gateway = await createGateway({
        database: db,
        secretKey: SECRET_KEY,
        env: "test",
        logger: createLogger({ silent: true }),
        plugins: [localPlugin()],
        collectDefaultMetrics: false,
        instanceId,
        timeouts: { serverSyncMs: 50 },
      });
      const address = await gateway.listen({ host: "127.0.0.1", port: 0 });
      await gateway.ready();
      return { gateway, db, url: address.url };
    };
    const a = await replica("replica-a");
    const b = await replica("replica-b");
    cleanups.push(async () => {
      for (const r of [a, b]) {
        await r.gateway.close({ deadlineMs: 1000 });
        r.db.close();
      }
      rmSync(dir, { recursive: true, force: true });
    });
    const repos = createRepositories(a.db, { secretKey: SECRET_KEY });
    const created = await repos.apiKeys.create({
      name: "admin",
      scopes: ["admin", "tools:list", "tools:call"],
    });
    const admin = created.plaintext;
    const adminId = created.key.id;

    const listedByB = await get(`${b.url}/plugins`, auth(admin));
    expect(listedByB.status, JSON.stringify(listedByB.body)).toBe(200);
    const seenByB = listedByB.body.plugins[0];
    expect(seenByB.instances.map((i: { instanceId: string }) => i.instanceId)).toEqual([
      "replica-a",
      "replica-b",
    ]);

    const set = await put(`${a.url}/admin/config/rateLimit.defaultPerMinute`, { value: 2 }, auth(admin));
    expect(set).toMatchObject({
      status: 200,
      body: { key: "rateLimit.defaultPerMinute", value: 2, previous: null },
    });
    await vi.waitFor(
      async () => {
        const entry = (await get(`${b.url}/admin/config/rateLimit.defaultPerMinute`, auth(admin))).body;
        expect(entry).toMatchObject({ value: 2, origin: "database" });
      },
      { timeout: 5000, interval: 25 },
    );
    // B now limits a key without its own limit to 2 requests a minute.
    const user = (await repos.apiKeys.create({ name: "user", scopes: ["tools:list"] })).plaintext;
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await get(`${b.url}/mcp/tools`, auth(user))).status);
    expect(statuses).toEqual([200, 200, 429]);

    const events = (await repos.systemEvents.list({ type: "config.changed" })).items;
    expect(events[0]?.details).toMatchObject({
      key: "rateLimit.defaultPerMinute",
      value: 2,
      by: adminId,
      via: "admin_api",
    });

    // Unset on B: A goes back to the options' value.
    const unset = await fetch(`${b.url}/admin/config/rateLimit.defaultPerMinute`, {
      method: "DELETE",
      headers: auth(admin),
    });
    expect(await unset.json()).toMatchObject({ removed: true, previous: 2 });
    await vi.waitFor(
      async () => {
        const entry = (await get(`${a.url}/admin/config/rateLimit.defaultPerMinute`, auth(admin))).body;
        expect(entry).toMatchObject({ value: 600, origin: "options", stored: null });
      },
      { timeout: 5000, interval: 25 },
    );

    // B stopping marks only its own row stopped: A still runs the plugin, and the shared status says so.
    await b.gateway.close({ deadlineMs: 1000 });
    const afterStop = (await get(`${a.url}/plugins`, auth(admin))).body.plugins[0];
    expect(afterStop.status).toBe("loaded");
    expect(
      afterStop.instances.map((i: { instanceId: string; state: string }) => [i.instanceId, i.state]),
    ).toEqual([
      ["replica-a", "ready"],
      ["replica-b", "stopped"],
    ]);
  });
});

describe("admin config bad input", () => {
  it("refuses file-only, start-only, unknown and wrong-type settings with 400 naming the setting", async () => {
    const t = await startGateway();
    cleanups.push(() => t.close());
    const admin = await t.key(["admin"]);
    const egress = await put(`${t.url}/admin/config/egress.allow`, { value: ["0.0.0.0/0"] }, auth(admin));
    expect(egress.status).toBe(400);
    expect(egress.body.error.message).toContain('Setting "egress.allow" is file-only');
    const authNone = await put(`${t.url}/admin/config/auth`, { value: "none" }, auth(admin));
    expect(authNone.body.error.message).toContain("file-only");
    const readAuth = await get(`${t.url}/admin/config/auth`, auth(admin));
    expect(readAuth.status).toBe(404);
    expect(readAuth.body.error.message).toContain("Setting 'auth' is file-only");
    const startOnly = await put(`${t.url}/admin/config/gateway.name`, { value: "x" }, auth(admin));
    expect(startOnly.status).toBe(400);
    expect(startOnly.body.error.message).toContain("read at start only");
    const unknown = await put(`${t.url}/admin/config/log.colour`, { value: "red" }, auth(admin));
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain('Unknown setting "log.colour"');
    const wrong = await put(
      `${t.url}/admin/config/upstream.requestTimeoutMs`,
      { value: "soon" },
      auth(admin),
    );
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toContain("expected an integer from 100 to 3600000");
    const missing = await put(`${t.url}/admin/config/log.level`, {}, auth(admin));
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain('{ "value": … }');
    const notAdmin = await put(
      `${t.url}/admin/config/log.level`,
      { value: "debug" },
      auth(await t.key(["tools:list"])),
    );
    expect(notAdmin.status).toBe(403);
    const rows = await t.db.client.execute("SELECT count(*) AS n FROM config");
    expect(Number(rows.rows[0]?.n)).toBe(0);
  });

  it("applies a tool-call timeout change to the next call", async () => {
    const t = await startGateway();
    cleanups.push(() => t.close());
    const admin = await t.key(["admin", "tools:list", "tools:call"]);
    const changed = await put(`${t.url}/admin/config/upstream.requestTimeoutMs`, { value: 200 }, auth(admin));
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    const slow = await callTool(t.url, admin, "local__slow", { ms: 3000 });
    expect(slow.status).toBe(504);
    expect(slow.body.error.message).toContain("200 ms");
  });

  it("applies a log level and a session cap change at once", async () => {
    const { logger, entries } = memoryLogger();
    const t = await startGateway({ logger });
    cleanups.push(() => t.close());
    const admin = await t.key(["admin", "tools:list", "tools:call"]);
    expect((await put(`${t.url}/admin/config/log.level`, { value: "error" }, auth(admin))).status).toBe(200);
    expect(logger.level).toBe("error");
    entries.length = 0;
    await callTool(t.url, admin, "local__echo", { text: "quiet" });
    expect(entries.filter((e) => e.message === "tool call")).toEqual([]);

    expect((await put(`${t.url}/admin/config/mcp.maxSessions`, { value: 1 }, auth(admin))).status).toBe(200);
    const first = await connectClient(`${t.url}/mcp`, admin);
    cleanups.push(() => first.close());
    const second = await connectClient(`${t.url}/mcp`, admin).catch((error: unknown) => error as Error);
    expect(second).toBeInstanceOf(Error);
    expect(String((second as Error).message)).toContain("Too many open MCP sessions (1)");
  });
});
