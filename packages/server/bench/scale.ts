// Scale rows of the benchmark: many clients at once, in each protocol era. Memory per client from the gateway's own
// RSS (GET /diagnostics/performance), and how requests/s holds from a few clients to all of them.
import http from "node:http";

/** How many clients the scale rows open (BENCH_SCALE_CLIENTS; 1,000 by default, as the issue asks). */
export const SCALE_CLIENTS = Number(process.env.BENCH_SCALE_CLIENTS ?? "1000");

export interface ScaleFigures {
  era: "2025 sessions" | "2026-07-28 clients";
  clients: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  /** RSS growth per open client (kB): a session's transport, server and event store, or a modern client's socket. */
  kbPerClient: number;
  /** Requests/s with calls spread over 16 of the clients, then over all of them, 16 in flight either way. */
  rpsFew: number;
  rpsAll: number;
}

interface Target {
  url: string;
  key: string;
}

const TOOL = "everything__echo";
const ARGS = { message: "benchmark" };

async function rssMb(target: Target): Promise<number> {
  const res = await fetch(`${target.url}/diagnostics/performance`, {
    headers: { Authorization: `Bearer ${target.key}` },
  });
  const body = (await res.json()) as { memory: { rssBytes: number } };
  return body.memory.rssBytes / 1024 / 1024;
}

type Caller = () => Promise<void>;

function poster(target: Target, agent: http.Agent) {
  return (body: unknown, headers: Record<string, string>) =>
    new Promise<{ status: number; session: string | undefined; text: string }>((resolve, reject) => {
      const text = JSON.stringify(body);
      const req = http.request(
        `${target.url}/mcp`,
        {
          method: "POST",
          agent,
          headers: {
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
            authorization: `Bearer ${target.key}`,
            "content-length": Buffer.byteLength(text),
            ...headers,
          },
        },
        (res) => {
          let answer = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            answer += chunk;
          });
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              session: res.headers["mcp-session-id"] as string | undefined,
              text: answer,
            }),
          );
        },
      );
      req.on("error", reject);
      req.end(text);
    });
}

/** Opens one 2025 session (initialize + initialized) on its own connection; returns a tools/call caller. */
async function legacySession(target: Target): Promise<{ call: Caller; close(): Promise<void> }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const post = poster(target, agent);
  const init = await post(
    {
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "scale", version: "1" },
      },
    },
    {},
  );
  if (init.status !== 200 || !init.session)
    throw new Error(`initialize answered ${init.status}: ${init.text}`);
  const headers = { "mcp-session-id": init.session, "mcp-protocol-version": "2025-06-18" };
  await post({ jsonrpc: "2.0", method: "notifications/initialized" }, headers);
  let id = 1;
  return {
    async call() {
      const res = await post(
        { jsonrpc: "2.0", id: id++, method: "tools/call", params: { name: TOOL, arguments: ARGS } },
        headers,
      );
      if (res.status !== 200 || !res.text.includes('"result"'))
        throw new Error(`call answered ${res.status}`);
    },
    // Ends the session on the gateway too, so the next era's rows start from fewer live sessions.
    close: () =>
      new Promise<void>((resolve) => {
        const req = http.request(`${target.url}/mcp`, {
          method: "DELETE",
          agent,
          headers: { authorization: `Bearer ${target.key}`, ...headers },
        });
        const done = () => {
          agent.destroy();
          resolve();
        };
        req.on("response", (res) => res.resume().on("end", done));
        req.on("error", done);
        req.end();
      }),
  };
}

/** One 2026-07-28 client on its own keep-alive connection: no handshake, each call carries its envelope. */
async function modernClient(target: Target): Promise<{ call: Caller; close(): Promise<void> }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const post = poster(target, agent);
  const meta = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientInfo": { name: "scale-modern", version: "1" },
    "io.modelcontextprotocol/clientCapabilities": {},
  };
  const headers = { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": TOOL };
  let id = 1;
  const client = {
    async call() {
      const res = await post(
        {
          jsonrpc: "2.0",
          id: id++,
          method: "tools/call",
          params: { name: TOOL, arguments: ARGS, _meta: meta },
        },
        headers,
      );
      if (res.status !== 200 || !res.text.includes('"result"'))
        throw new Error(`call answered ${res.status}`);
    },
    close: async () => agent.destroy(),
  };
  // The first call opens the connection, so the client holds what a connected client holds.
  await client.call();
  return client;
}

/** Calls `callers` round-robin with 16 in flight for `seconds`; requests/s. */
async function drive(callers: Caller[], seconds: number): Promise<number> {
  let done = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: 16 }, async (_, lane) => {
      // Each lane walks its own share of the clients, so no client has two calls in flight.
      for (let i = lane; performance.now() < end; i += 16) {
        await callers[i % callers.length]!();
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

/** Opens SCALE_CLIENTS clients of `era` on a running gateway, measures memory and requests/s, closes them. */
export async function measureScale(
  target: Target,
  era: ScaleFigures["era"],
  seconds: number,
): Promise<ScaleFigures> {
  const open = era === "2025 sessions" ? legacySession : modernClient;
  // Settle, then read the baseline the clients are measured against.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const rssBeforeMb = await rssMb(target);
  const clients: Array<{ call: Caller; close(): Promise<void> }> = [];
  try {
    // 32 at a time: opening is part of the load too, but not a thundering herd.
    while (clients.length < SCALE_CLIENTS) {
      const batch = Math.min(32, SCALE_CLIENTS - clients.length);
      clients.push(...(await Promise.all(Array.from({ length: batch }, () => open(target)))));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const rssAfterMb = await rssMb(target);
    const rpsFew = await drive(
      clients.slice(0, 16).map((c) => c.call),
      seconds,
    );
    const rpsAll = await drive(
      clients.map((c) => c.call),
      seconds,
    );
    return {
      era,
      clients: clients.length,
      rssBeforeMb,
      rssAfterMb,
      kbPerClient: ((rssAfterMb - rssBeforeMb) * 1024) / clients.length,
      rpsFew,
      rpsAll,
    };
  } finally {
    for (let i = 0; i < clients.length; i += 32)
      await Promise.all(clients.slice(i, i + 32).map((c) => c.close()));
  }
}
