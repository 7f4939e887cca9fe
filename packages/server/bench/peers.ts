// Peer gateways for the benchmark: each fronts its own server-everything over stdio, as Waygate's rows do, so a row
// of theirs and a row of Waygate's measure the same work. None of them runs auth, limits or audit.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const modules = join(dirname(fileURLToPath(import.meta.url)), "../node_modules");

/** A peer gateway's own version, from its installed package.json (what the row label shows). */
function versionOf(name: string): string {
  return (JSON.parse(readFileSync(join(modules, name, "package.json"), "utf8")) as { version: string })
    .version;
}

export type PeerName = "mcp-hub" | "supergateway" | "mcp-proxy";

/** A running peer: where its MCP endpoint is, how it speaks, and what it calls server-everything's echo. */
export interface Peer {
  label: string;
  child: ChildProcess;
  /** Full URL of the MCP endpoint (Streamable HTTP POST, or the legacy SSE stream). */
  endpoint: string;
  transport: "streamable-http" | "sse";
  tool: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Resolves once `GET path` on `port` answers with a body `ready` accepts (any answer when there is no `ready`), or
 * rejects after `ms`.
 */
async function waitForHttp(
  port: number,
  path: string,
  ms: number,
  child: ChildProcess,
  ready: (body: string) => boolean = () => true,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`peer exited with ${child.exitCode} before it listened`);
    const answered = await new Promise<boolean>((resolve) => {
      const req = http.request({ host: "127.0.0.1", port, path, method: "GET" }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve(ready(body)));
      });
      req.on("error", () => resolve(false));
      req.setTimeout(500, () => {
        req.destroy();
        resolve(false);
      });
      req.end();
    });
    if (answered) return;
    if (Date.now() > deadline) throw new Error(`peer did not listen on ${port} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  // Each peer was started as its own process group leader, so its stdio upstream goes with it.
  if (child.pid !== undefined) process.kill(-child.pid, "SIGTERM");
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
  if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
}

/**
 * Starts `name` on a loopback port in front of `node <everything> stdio`. The front process is the peer's own Node
 * process (spawned directly, never through a shell), so `/proc/<pid>/stat` counts only its CPU.
 */
export async function startPeer(name: PeerName, everything: string): Promise<Peer> {
  const port = await freePort();
  const scratch = mkdtempSync(join(tmpdir(), `waygate-bench-${name}-`));
  let argv: string[];
  const endpoint = `http://127.0.0.1:${port}/mcp`;
  let transport: Peer["transport"] = "streamable-http";
  let tool = "echo";
  // Where readiness shows: mcp-hub listens before its servers are up and says so on /api/health; the others only
  // listen once their upstream answered (a GET of /mcp without a session is refused, which is enough).
  let readyPath = "/mcp";
  let ready: ((body: string) => boolean) | undefined;
  if (name === "mcp-hub") {
    readyPath = "/api/health";
    ready = (body) => body.includes('"state":"ready"');
    // mcp-hub 4 serves its merged servers as a legacy SSE endpoint (GET /mcp, POST /messages) and prefixes tools.
    const config = join(scratch, "mcp-hub.json");
    writeFileSync(
      config,
      JSON.stringify({
        mcpServers: { everything: { command: process.execPath, args: [everything, "stdio"] } },
      }),
    );
    argv = [join(modules, "mcp-hub/dist/cli.js"), "--port", String(port), "--config", config];
    transport = "sse";
    tool = "everything__echo";
  } else if (name === "supergateway") {
    argv = [
      join(modules, "supergateway/dist/index.js"),
      "--stdio",
      `${process.execPath} ${everything} stdio`,
      "--outputTransport",
      "streamableHttp",
      "--stateful",
      "--port",
      String(port),
      "--logLevel",
      "none",
    ];
  } else {
    argv = [
      join(modules, "mcp-proxy/dist/bin/mcp-proxy.mjs"),
      "--port",
      String(port),
      "--host",
      "127.0.0.1",
      "--",
      process.execPath,
      everything,
      "stdio",
    ];
  }
  const child = spawn(process.execPath, argv, {
    cwd: scratch,
    detached: true,
    stdio: ["ignore", "ignore", "ignore"],
    env: { ...process.env, HOME: scratch, XDG_CONFIG_HOME: scratch, XDG_STATE_HOME: scratch, NO_COLOR: "1" },
  });
  try {
    await waitForHttp(port, readyPath, 30_000, child, ready);
  } catch (error) {
    await stop(child);
    rmSync(scratch, { recursive: true, force: true });
    throw error;
  }
  return {
    label: `${name} ${versionOf(name)}`,
    child,
    endpoint,
    transport,
    tool,
    async stop() {
      await stop(child);
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

/**
 * A minimal legacy-SSE MCP client: one event stream, one keep-alive POST per call to the endpoint the stream names,
 * answers matched by id from the stream. The SSE counterpart of the bench's lean Streamable HTTP client.
 */
export async function leanSseClient(endpoint: string): Promise<{
  callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  let messages: URL | undefined;
  let named: () => void = () => {};
  let failed: (error: Error) => void = () => {};
  const endpointNamed = new Promise<void>((resolve, reject) => {
    named = resolve;
    failed = reject;
  });
  const stream = http.get(endpoint, { headers: { accept: "text/event-stream" } }, (res) => {
    res.setEncoding("utf8");
    let buffer = "";
    res.on("data", (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: ?(.*)$/m.exec(block)?.[1] ?? "message";
        const data = block
          .split("\n")
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).trimStart())
          .join("\n");
        if (event === "endpoint") {
          messages = new URL(data, endpoint);
          named();
        } else if (event === "message" && data) {
          const message = JSON.parse(data) as { id?: number };
          if (typeof message.id === "number") {
            waiting.get(message.id)?.resolve(data);
            waiting.delete(message.id);
          }
        }
      }
    });
  });
  // A stream the peer ends before answering (it hangs up while busy) fails the connection and its waiting calls,
  // instead of an unhandled socket error.
  stream.on("error", (error) => {
    failed(error);
    for (const { reject } of waiting.values()) reject(error);
    waiting.clear();
  });
  await endpointNamed;
  const post = (message: { id?: number }) =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify(message);
      const req = http.request(
        messages!,
        {
          method: "POST",
          agent,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on("end", () =>
            (res.statusCode ?? 0) < 300 ? resolve() : reject(new Error(`POST answered ${res.statusCode}`)),
          );
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  let id = 0;
  const request = async (method: string, params: unknown): Promise<string> => {
    id += 1;
    const answer = new Promise<string>((resolve, reject) => waiting.set(id, { resolve, reject }));
    await post({ jsonrpc: "2.0", id, method, params } as { id: number });
    return answer;
  };
  await request("initialize", {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "bench-lean-sse", version: "1.0.0" },
  });
  await post({ jsonrpc: "2.0", method: "notifications/initialized" } as { id?: number });
  return {
    async callTool(params) {
      const text = await request("tools/call", params);
      if (!text.includes('"result"')) throw new Error(`tools/call answered ${text.slice(0, 200)}`);
      return text;
    },
    async close() {
      stream.destroy();
      agent.destroy();
      for (const { reject } of waiting.values()) reject(new Error("closed"));
    },
  };
}
