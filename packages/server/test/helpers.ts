import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createRepositories, openDatabase, type Repositories, type WaygateDatabase } from "@waygate/core";
import { definePlugin, tool } from "@waygate/plugin-sdk";
import winston from "winston";
import { z } from "zod";
import { createGateway, createLogger, type Gateway } from "../src/index.js";
import type { GatewayOptionsInput } from "../src/options.js";

export const SECRET_KEY = "test-secret-key-0123456789abcdef-0123456789";

/** Path of server-everything's entry point, run with `node` as a stdio upstream. */
export function serverEverythingPath(): string {
  return createRequire(import.meta.url).resolve("@modelcontextprotocol/server-everything/dist/index.js");
}

/** An in-process plugin with tools that echo, fail, wait, report progress and ask the client to sample. */
export function localPlugin(hooks: { onSlowStart?: () => void } = {}) {
  return definePlugin({
    name: "local",
    version: "1.0.0",
    tools: {
      echo: tool({
        description: "Echoes the text back",
        input: { text: z.string() },
        handler: ({ text }) => text,
      }),
      fail: tool({
        description: "Always fails",
        input: {},
        handler: () => {
          throw new Error("the tool failed on purpose");
        },
      }),
      slow: tool({
        description: "Waits, reporting progress",
        input: { ms: z.number().int().min(0) },
        handler: async ({ ms }, ctx) => {
          hooks.onSlowStart?.();
          await ctx.reportProgress(0, 2, "started");
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(resolve, ms);
            ctx.signal.addEventListener("abort", () => {
              clearTimeout(timer);
              reject(new Error("cancelled"));
            });
          });
          await ctx.reportProgress(2, 2, "done");
          return `waited ${ms}`;
        },
      }),
      chatty: tool({
        description: "Sends a log message at each level to the caller",
        input: {},
        handler: async (_args, ctx) => {
          await ctx.log?.("debug", "debug line");
          await ctx.log?.("error", "error line");
          return "logged";
        },
      }),
      confirm: tool({
        description: "Asks the user to confirm through the client",
        input: {},
        handler: async (_args, ctx) => {
          const reply = await ctx.clientRequests!.elicitInput({
            mode: "form",
            message: "Proceed?",
            requestedSchema: { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] },
          });
          return `user ${reply.action}: ${JSON.stringify(reply.content ?? {})}`;
        },
      }),
      ask: tool({
        description: "Asks the client's model a question",
        input: { question: z.string() },
        handler: async ({ question }, ctx) => {
          const reply = await ctx.clientRequests!.createMessage({
            messages: [{ role: "user", content: { type: "text", text: question } }],
            maxTokens: 50,
          });
          return reply.content.type === "text" ? `model said: ${reply.content.text}` : "non-text reply";
        },
      }),
    },
    prompts: {
      greet: {
        prompt: { description: "Greets someone", arguments: [{ name: "who", required: true }] },
        get: (args) => ({
          messages: [{ role: "user", content: { type: "text", text: `Hello ${args.who}` } }],
        }),
      },
    },
    resources: [
      {
        resource: { uri: "local://motd", name: "motd", mimeType: "text/plain" },
        read: () => ({ contents: [{ uri: "local://motd", text: "message of the day" }] }),
      },
    ],
  });
}

/** A gateway on loopback over a real libSQL file in a temp dir, with helpers to mint keys and clean up. */
export interface TestGateway {
  gateway: Gateway;
  url: string;
  db: WaygateDatabase;
  repos: Repositories;
  dir: string;
  key(scopes?: string[], extra?: { toolPatterns?: string[]; rateLimitPerMinute?: number }): Promise<string>;
  auditRows(): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** Starts a gateway with the local plugin (and any extra options) and an open database the test can query. */
export async function startGateway(
  overrides: Partial<GatewayOptionsInput> = {},
  listen: { port?: number } = {},
): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), "waygate-server-"));
  const db = await openDatabase({ url: `file:${join(dir, "waygate.db")}` });
  const repos = createRepositories(db, { secretKey: SECRET_KEY });
  const gateway = await createGateway({
    database: db,
    secretKey: SECRET_KEY,
    env: "test",
    // Expected failures (a broken upstream) would otherwise print; assertions cover behaviour instead.
    logger: createLogger({ silent: true }),
    plugins: [localPlugin()],
    collectDefaultMetrics: false,
    ...overrides,
  });
  const { url } = await gateway.listen({ host: "127.0.0.1", port: listen.port ?? 0 });
  await gateway.ready();
  return {
    gateway,
    url,
    db,
    repos,
    dir,
    async key(scopes = ["tools:list", "tools:call"], extra = {}) {
      const { plaintext } = await repos.apiKeys.create({
        name: `test-${scopes.join("+")}`,
        scopes,
        ...extra,
      });
      return plaintext;
    },
    async auditRows() {
      const result = await db.client.execute("SELECT * FROM command_history ORDER BY id");
      return result.rows.map((row) => ({ ...row }));
    },
    async close() {
      await gateway.close({ deadlineMs: 2000 });
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A winston logger that keeps each entry in `entries` instead of printing it. */
export function memoryLogger(): { logger: winston.Logger; entries: { level: string; message: string }[] } {
  const entries: { level: string; message: string }[] = [];
  const logger = winston.createLogger({
    level: "debug",
    transports: [
      new winston.transports.Stream({
        stream: new Writable({
          objectMode: true,
          write(info: { level: string; message: string }, _encoding, done) {
            entries.push(info);
            done();
          },
        }),
      }),
    ],
  });
  return { logger, entries };
}

/** Connects the official SDK client to a Streamable HTTP endpoint with a key. */
export async function connectClient(
  url: string,
  key: string | undefined,
  options: { capabilities?: ConstructorParameters<typeof Client>[1] } = {},
): Promise<Client> {
  const client = new Client({ name: "waygate-test", version: "1.0.0" }, options.capabilities);
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: key ? { headers: { Authorization: `Bearer ${key}` } } : {},
  });
  await client.connect(transport);
  return client;
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field in each test.
type Body = any;

/** An HTTP response with its body parsed as JSON when it is JSON. */
export interface TestResponse {
  status: number;
  headers: Headers;
  body: Body;
}

/** POSTs JSON (or a raw body) and returns status, headers and parsed body. */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<TestResponse> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await readMcpBody(response) };
}

/**
 * Reads a response as MCP clients do: a JSON body as is, and an event stream (the SDK streams 2025 POSTs) as the
 * JSON-RPC response it carries; any other text as text.
 */
export async function readMcpBody(response: Response): Promise<Body> {
  const text = await response.text();
  if (response.headers.get("content-type")?.startsWith("text/event-stream")) {
    const messages = text
      .split("\n")
      // A priming event (2025-11-25) carries an empty data line.
      .filter((line) => line.startsWith("data: ") && line.length > 6)
      .map((line) => JSON.parse(line.slice(6)) as Record<string, unknown>);
    return (messages.find((m) => "result" in m || "error" in m) ?? text) as Body;
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** GETs a URL and returns status, headers and parsed body. */
export async function get(url: string, headers: Record<string, string> = {}): Promise<TestResponse> {
  const response = await fetch(url, { headers });
  const text = await response.text();
  let parsed: Body = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, body: parsed };
}

/** PUTs JSON and returns status, headers and parsed body. */
export async function put(
  url: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<TestResponse> {
  const response = await fetch(url, {
    method: "PUT",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

/** Reads until `ok` holds (polling every 50 ms), or fails after `timeoutMs` naming `what`. */
export async function until<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
