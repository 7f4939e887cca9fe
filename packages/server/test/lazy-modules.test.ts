import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const support = (name: string) => fileURLToPath(new URL(`./support/${name}`, import.meta.url));

// What an idle gateway (a plugin, a stdio upstream, the console, no OAuth) must not load; each is loaded by the first
// request that needs it. Matched on the resolved module URLs.
const LAZY = {
  undici: /\/undici\//,
  jose: /\/jose\//,
  "@modelcontextprotocol/node": /\/@modelcontextprotocol\/node\//,
  "@libsql/hrana-client": /\/@libsql\/hrana-client\//,
  "oidc-provider": /\/oidc-provider\//,
  // Only a gateway given a Redis store or round relay (`@waygate/server/redis`, REDIS_URL) loads a Redis client.
  "@redis/client": /\/@redis\/client\//,
};

let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null) {
    child.stdin?.end();
    await once(child, "exit");
  }
  child = undefined;
});

/** Starts the idle gateway with every resolved module logged; resolves with its URL and the log so far. */
async function startLogged(): Promise<{ url: string; modules: () => string[] }> {
  const started = spawn(
    process.execPath,
    [
      "--import",
      import.meta.resolve("tsx"),
      "--import",
      support("module-log.mjs"),
      support("idle-gateway.ts"),
    ],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  child = started;
  let stderr = "";
  let stdout = "";
  started.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the gateway did not start:\n${stderr.slice(-2000)}`)),
      90_000,
    );
    started.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening (\S+)/.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    started.on("exit", (code) =>
      reject(new Error(`the gateway exited with ${code}:\n${stderr.slice(-2000)}`)),
    );
  });
  const modules = () =>
    stderr
      .split("\n")
      .filter((line) => line.startsWith("module "))
      .map((line) => line.slice("module ".length));
  return { url, modules };
}

const loaded = (modules: string[]) =>
  Object.entries(LAZY)
    .filter(([, pattern]) => modules.some((url) => pattern.test(url)))
    .map(([name]) => name);

describe("an idle gateway loads only what it uses", () => {
  it("starts a plugin and a stdio upstream without undici, jose, the SDK's Node transports, libSQL's remote client, oidc-provider or a Redis client, and loads the transports with the first MCP session", async () => {
    const gateway = await startLogged();
    // The log does see packages: the SDK's server and libSQL's SQLite client are there.
    expect(gateway.modules().some((url) => url.includes("/@modelcontextprotocol/server/"))).toBe(true);
    expect(gateway.modules().some((url) => url.includes("/@libsql/client/"))).toBe(true);
    expect(loaded(gateway.modules())).toEqual([]);

    const response = await fetch(`${gateway.url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
      }),
    });
    expect(response.status).toBe(200);
    await response.text();
    expect(loaded(gateway.modules())).toEqual(["@modelcontextprotocol/node"]);
  });
});
