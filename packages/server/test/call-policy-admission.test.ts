import type { CallToolResult } from "@modelcontextprotocol/server";
import { definePlugin, FAILURE_META_KEY, tool, type WaygatePlugin } from "@waygate/plugin-sdk";
import { afterEach, describe, expect, it } from "vitest";
import type { AuditRecord } from "../src/audit.js";
import { GatewayError, UpstreamError } from "../src/errors/errors.js";
import type { Caller } from "../src/http/request-context.js";
import { createMetrics, type GatewayMetrics } from "../src/metrics.js";
import { createAuditGuard } from "../src/policy/audit-guard.js";
import {
  type CallPolicy,
  createCallPolicy,
  DENIED_META_KEY,
  type PolicyRequest,
  type PolicyTarget,
  type ToolCallRequest,
} from "../src/policy/call-policy.js";
import type { Backend } from "../src/routing/backend.js";
import { createRouter, type Router } from "../src/routing/router.js";
import { memoryLogger } from "./helpers.js";

// The call policy on its own: a real router with an in-process plugin, real Prometheus metrics, the real audit guard
// and a winston logger that keeps its entries. The audit sink is the one stand-in: it keeps each row exactly as the
// policy hands it over and can be told to fail, which a libSQL file cannot be made to do on cue (the gateway tests
// cover the committed rows: call-policy.test.ts, policy.test.ts, audit-fail-closed.test.ts).

type Seen = { name: string; args: Record<string, unknown>; ctx: Parameters<WaygatePlugin["callTool"]>[2] };

const plugin = definePlugin({
  name: "files",
  version: "1.0.0",
  tools: {
    read: tool({ description: "Reads a file", input: {}, handler: () => "contents" }),
    denied: tool({
      description: "Refused by the bridge's own policy",
      input: {},
      handler: () => ({
        content: [{ type: "text", text: "Denied by the 'files' bridge: path is outside the root" }],
        isError: true,
        _meta: { [DENIED_META_KEY]: { bridge: "files" } },
      }),
    }),
    long: tool({
      description: "Fails with a long text after an image part",
      input: {},
      handler: () => ({
        content: [
          { type: "image", data: "AAAA", mimeType: "image/png" },
          { type: "text", text: "x".repeat(600) },
        ],
        isError: true,
      }),
    }),
    silent: tool({
      description: "Fails without any text",
      input: {},
      handler: () => ({ content: [{ type: "image", data: "AAAA", mimeType: "image/png" }], isError: true }),
    }),
    marked: tool({
      description: "Succeeds, yet carries the failure marker (which only an error result may act on)",
      input: {},
      handler: () => ({
        content: [{ type: "text", text: "fine" }],
        _meta: { [FAILURE_META_KEY]: true },
      }),
    }),
    bare: tool({
      description: "An error result without content (the spy below answers it: no plugin can build one)",
      input: {},
      handler: () => "replaced",
    }),
    wait: tool({
      description: "Runs until its signal aborts",
      input: {},
      handler: (_args, ctx) =>
        new Promise<string>((_, reject) => {
          ctx.signal.addEventListener("abort", () =>
            reject(new Error(`stopped: ${String(ctx.signal.reason)}`)),
          );
        }),
    }),
    throws: tool({
      description: "Throws (the plugin turns it into a failure result)",
      input: {},
      handler: () => {
        throw new Error("disk on fire");
      },
    }),
  },
});

interface Harness {
  policy: CallPolicy;
  router: Router;
  rows: AuditRecord[];
  entries: ({ level: string; message: string } & Record<string, unknown>)[];
  metrics: GatewayMetrics;
  seen: Seen[];
  /** Makes the next `n` audit writes fail. */
  failAudit(n: number): void;
  /** Makes the audit guard's probe fail while true. */
  probeFails: { value: boolean };
}

const open: CallPolicy[] = [];
afterEach(async () => {
  for (const policy of open.splice(0)) await policy.drain(1_000);
});

async function harness(options: { production?: boolean; toolCallTimeoutMs?: number } = {}): Promise<Harness> {
  await plugin.start();
  const seen: Seen[] = [];
  const spied: WaygatePlugin = {
    ...plugin,
    getStatus: () => plugin.getStatus(),
    callTool: (name, args, ctx) => {
      seen.push({ name, args, ctx });
      // An upstream can answer an error without content; definePlugin always adds some.
      if (name === "bare") return Promise.resolve({ isError: true } as CallToolResult);
      return plugin.callTool(name, args, ctx);
    },
  };
  const router = createRouter();
  const backend: Backend = {
    name: "files",
    kind: "plugin",
    plugin: spied,
    origin: "options",
    started: Promise.resolve(),
    unsubscribe: () => {},
  };
  router.add(backend);
  const rows: AuditRecord[] = [];
  let failures = 0;
  const probeFails = { value: false };
  const { logger, entries } = memoryLogger();
  const metrics = createMetrics({ collectDefault: false });
  const policy = createCallPolicy({
    router,
    audit: {
      async record(entry) {
        if (failures > 0) {
          failures--;
          throw new Error("database is locked");
        }
        rows.push(entry);
      },
    },
    auditGuard: createAuditGuard({
      probe: async () => {
        if (probeFails.value) throw new Error("database is locked");
      },
    }),
    metrics,
    logger,
    toolCallTimeoutMs: options.toolCallTimeoutMs ?? 30_000,
    ...(options.production === undefined ? {} : { production: options.production }),
  });
  open.push(policy);
  return {
    policy,
    router,
    rows,
    entries: entries as Harness["entries"],
    metrics,
    seen,
    failAudit: (n) => {
      failures = n;
    },
    probeFails,
  };
}

function caller(overrides: Partial<Caller> = {}): Caller {
  return {
    keyId: "key-1",
    keyName: "ci",
    scopes: ["tools:call", "tools:list"],
    toolPatterns: null,
    rateLimitPerMinute: null,
    ...overrides,
  };
}

function toolCall(overrides: Partial<ToolCallRequest> = {}): ToolCallRequest {
  return {
    caller: caller(),
    requestId: "req-1",
    transport: "mcp",
    view: { kind: "aggregate" },
    name: "files__read",
    arguments: { path: "/etc/motd" },
    ...overrides,
  };
}

/** A request of any method on the files backend, resolved to `target` (or unresolved when `resolve` is false). */
function request<T>(
  h: Harness,
  overrides: Partial<PolicyRequest<T>> & Pick<PolicyRequest<T>, "run">,
): PolicyRequest<T> {
  return {
    caller: caller(),
    requestId: "req-2",
    transport: "mcp",
    view: { kind: "aggregate" },
    method: "resources/read",
    name: "file:///etc/motd",
    resolve: async (): Promise<PolicyTarget> => ({
      backend: h.router.get("files")!,
      original: "file:///etc/motd",
      capability: "files__file:///etc/motd",
    }),
    ...overrides,
  };
}

/** Lets the event loop turn until `done` holds; fails after 1,000 turns (a count, not a time). */
async function turnsUntil(done: () => boolean): Promise<void> {
  for (let turn = 0; turn < 1_000 && !done(); turn++) await new Promise((r) => setImmediate(r));
  expect(done()).toBe(true);
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error) && typeof outcome !== "string")
    throw new Error("expected the promise to be rejected");
  return outcome as Error;
}

async function samples(metric: { get(): Promise<{ values: { labels: object; value: number }[] }> }) {
  return (await metric.get()).values;
}

/** Labels and value of each series of a counter. */
async function counts(metric: { get(): Promise<{ values: { labels: object; value: number }[] }> }) {
  return (await samples(metric)).map(({ labels, value }) => ({ ...labels, value }));
}

/** The `_sum` and `_count` of each histogram series, keyed by its labels. */
async function histogram(metric: {
  get(): Promise<{ values: { labels: object; value: number; metricName?: string }[] }>;
}) {
  const values = (await metric.get()).values;
  const of = (suffix: string) =>
    values
      .filter((v) => v.metricName?.endsWith(suffix))
      .map(({ labels, value }) => ({ ...(labels as Record<string, unknown>), value }));
  return { sum: of("_sum"), count: of("_count") };
}

describe("a tool call that is served", () => {
  it("hands the plugin the call, its caller and the request id, and audits, counts and logs it as ok", async () => {
    const h = await harness();
    const before = performance.now();
    const result = await h.policy.callTool(toolCall());
    const took = performance.now() - before;
    expect(result.content).toEqual([{ type: "text", text: "contents" }]);

    expect(h.seen).toHaveLength(1);
    const { name, args, ctx } = h.seen[0]!;
    expect(name).toBe("read");
    expect(args).toEqual({ path: "/etc/motd" });
    expect(ctx.caller).toEqual({ keyId: "key-1", scopes: ["tools:call", "tools:list"] });
    expect(ctx.requestId).toBe("req-1");
    expect(ctx.signal).toBeInstanceOf(AbortSignal);
    expect(ctx.wantsProgress).toBe(false);
    expect(ctx.reportProgress).toBeTypeOf("function");
    expect(() => ctx.reportProgress(1, 2)).not.toThrow();
    for (const absent of ["log", "clientRequests", "trace", "clientCapabilities"])
      expect(Object.hasOwn(ctx, absent)).toBe(false);

    expect(h.rows).toHaveLength(1);
    const row = h.rows[0]!;
    expect(row).toEqual({
      requestId: "req-1",
      method: "tools/call",
      keyId: "key-1",
      transport: "mcp",
      arguments: { path: "/etc/motd" },
      server: "files",
      tool: "read",
      outcome: "ok",
      durationMs: row.durationMs,
    });
    // The audited duration lies within the time the call took as seen from outside.
    expect(row.durationMs).toBeGreaterThanOrEqual(0);
    expect(row.durationMs).toBeLessThanOrEqual(took);

    const labels = { server: "files", tool: "read", outcome: "ok" };
    expect(await counts(h.metrics.toolCalls)).toEqual([{ ...labels, value: 1 }]);
    expect(await counts(h.metrics.mcpRequests)).toEqual([
      { method: "tools/call", server: "files", outcome: "ok", value: 1 },
    ]);
    // Durations are observed in seconds: the histograms' sums are the audited milliseconds over 1000.
    const tool = await histogram(h.metrics.toolDuration);
    expect(tool.count).toEqual([{ ...labels, value: 1 }]);
    expect(tool.sum).toEqual([{ ...labels, value: row.durationMs / 1000 }]);
    const mcp = await histogram(h.metrics.mcpRequestDuration);
    expect(mcp.count).toEqual([{ method: "tools/call", server: "files", outcome: "ok", value: 1 }]);
    expect(mcp.sum).toEqual([
      { method: "tools/call", server: "files", outcome: "ok", value: row.durationMs / 1000 },
    ]);

    expect(h.entries).toHaveLength(1);
    const entry = h.entries[0]!;
    expect(entry).toMatchObject({
      level: "info",
      message: "tool call",
      requestId: "req-1",
      method: "tools/call",
      keyId: "key-1",
      server: "files",
      tool: "read",
      transport: "mcp",
      outcome: "ok",
      durationMs: Math.round(row.durationMs * 100) / 100,
    });
    expect(Object.hasOwn(entry, "error")).toBe(false);
    expect(Object.hasOwn(entry, "audited")).toBe(false);
    expect(h.policy.inFlight()).toBe(0);
  });

  it("forwards progress, log, client requests, trace and client capabilities when the client gave them", async () => {
    const h = await harness();
    const progress: number[] = [];
    const log = async () => {};
    const clientRequests = {} as NonNullable<ToolCallRequest["clientRequests"]>;
    const trace = {} as NonNullable<ToolCallRequest["trace"]>;
    const clientCapabilities = { sampling: {} } as NonNullable<ToolCallRequest["clientCapabilities"]>;
    await h.policy.callTool(
      toolCall({
        reportProgress: async (value) => {
          progress.push(value);
        },
        log,
        clientRequests,
        trace,
        clientCapabilities,
      }),
    );
    const ctx = h.seen[0]!.ctx;
    expect(ctx.wantsProgress).toBe(true);
    await ctx.reportProgress(3, 4);
    expect(progress).toEqual([3]);
    expect(ctx.log).toBe(log);
    expect(ctx.clientRequests).toBe(clientRequests);
    expect(ctx.trace).toBe(trace);
    expect(ctx.clientCapabilities).toBe(clientCapabilities);
  });

  it("tells the plugin no progress is wanted when the client said so, even with a progress callback", async () => {
    const h = await harness();
    await h.policy.callTool(toolCall({ reportProgress: async () => {}, wantsProgress: false }));
    expect(h.seen[0]!.ctx.wantsProgress).toBe(false);
    await h.policy.callTool(toolCall({ reportProgress: async () => {}, wantsProgress: true }));
    expect(h.seen[1]!.ctx.wantsProgress).toBe(true);
  });

  it("records an OAuth caller's subject and client beside its key id", async () => {
    const h = await harness();
    const principal = { issuer: "https://idp.test", subject: "alice", clientId: "cli", tokenScopes: [] };
    await h.policy.callTool(toolCall({ caller: caller({ keyId: "oauth:alice", principal }) }));
    expect(h.rows[0]).toMatchObject({
      keyId: "oauth:alice",
      principal: { subject: "alice", clientId: "cli" },
    });
    expect(h.rows[0]!.principal).toEqual({ subject: "alice", clientId: "cli" });
  });

  it("names the server of a single-server view and the tool by its own name there", async () => {
    const h = await harness();
    await h.policy.callTool(toolCall({ view: { kind: "single", server: "files" }, name: "read" }));
    expect(h.rows[0]).toMatchObject({ server: "files", tool: "read", outcome: "ok" });
    expect(h.seen[0]!.name).toBe("read");
  });
});

describe("tool results that report a failure", () => {
  it("audits a result the bridge marked denied as denied, with its text", async () => {
    const h = await harness();
    const result = await h.policy.callTool(toolCall({ name: "files__denied" }));
    expect(result.isError).toBe(true);
    expect(h.rows[0]).toMatchObject({
      outcome: "denied",
      error: "Denied by the 'files' bridge: path is outside the root",
    });
    expect(h.entries[0]).toMatchObject({ level: "warn", outcome: "denied" });
    expect(await counts(h.metrics.toolCalls)).toEqual([
      { server: "files", tool: "denied", outcome: "denied", value: 1 },
    ]);
  });

  it("audits the first text part of an error result, cut at 500 characters", async () => {
    const h = await harness();
    await h.policy.callTool(toolCall({ name: "files__long" }));
    expect(h.rows[0]).toMatchObject({ outcome: "error", error: "x".repeat(500) });
    expect(h.entries[0]).toMatchObject({ level: "warn", error: "x".repeat(500) });
  });

  it("audits an error result without text with a stock message", async () => {
    const h = await harness();
    await h.policy.callTool(toolCall({ name: "files__silent" }));
    expect(h.rows[0]).toMatchObject({ outcome: "error", error: "tool returned an error" });
  });

  it("keeps a failure's own text for the caller outside production", async () => {
    const h = await harness({ production: false });
    const result = await h.policy.callTool(toolCall({ name: "files__throws" }));
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain("disk on fire");
  });

  it("replaces a failure's text by the request id in production, and keeps it in the audit", async () => {
    const h = await harness({ production: true });
    const result = await h.policy.callTool(toolCall({ name: "files__throws", requestId: "req-77" }));
    expect(result).toEqual({
      content: [
        {
          type: "text",
          text: "The call failed in the gateway or its upstream; operators find the details in the gateway log under request id req-77",
        },
      ],
      isError: true,
      _meta: { [FAILURE_META_KEY]: true },
    });
    expect(h.rows[0]!.error).toContain("disk on fire");
  });

  it("leaves a tool's own error result (not a failure) and a success untouched in production", async () => {
    const h = await harness({ production: true });
    const denied = await h.policy.callTool(toolCall({ name: "files__denied" }));
    expect(JSON.stringify(denied.content)).toContain("path is outside the root");
    const ok = await h.policy.callTool(toolCall());
    expect(ok.content).toEqual([{ type: "text", text: "contents" }]);
    const silent = await h.policy.callTool(toolCall({ name: "files__silent" }));
    expect(silent.content).toEqual([{ type: "image", data: "AAAA", mimeType: "image/png" }]);
    const marked = await h.policy.callTool(toolCall({ name: "files__marked" }));
    expect(marked.content).toEqual([{ type: "text", text: "fine" }]);
  });

  it("audits an error result without any content with the stock message", async () => {
    const h = await harness();
    const result = await h.policy.callTool(toolCall({ name: "files__bare" }));
    expect(result).toEqual({ isError: true });
    expect(h.rows[0]).toMatchObject({ outcome: "error", error: "tool returned an error" });
  });
});

describe("requests refused before they run", () => {
  it("refuses a caller without the scope, audits it as denied against the named server and counts it as unknown", async () => {
    const h = await harness();
    const error = await rejection(
      h.policy.callTool(toolCall({ caller: caller({ scopes: ["tools:list"] }) })),
    );
    expect(error.message).toBe("This API key lacks the 'tools:call' scope");
    expect(h.seen).toEqual([]);
    expect(h.rows).toEqual([
      {
        requestId: "req-1",
        method: "tools/call",
        keyId: "key-1",
        transport: "mcp",
        arguments: { path: "/etc/motd" },
        server: "files",
        tool: "read",
        outcome: "denied",
        error: "This API key lacks the 'tools:call' scope",
        durationMs: h.rows[0]!.durationMs,
      },
    ]);
    // A refused name never becomes a label: the server and tool are counted as unknown.
    expect(await counts(h.metrics.toolCalls)).toEqual([
      { server: "unknown", tool: "unknown", outcome: "denied", value: 1 },
    ]);
    expect(await counts(h.metrics.mcpRequests)).toEqual([
      { method: "tools/call", server: "unknown", outcome: "denied", value: 1 },
    ]);
    expect(h.entries[0]).toMatchObject({
      level: "warn",
      message: "tool call",
      outcome: "denied",
      error: "This API key lacks the 'tools:call' scope",
    });
  });

  it("keeps the name as sent when its server part names no running server, or it has no server part", async () => {
    const h = await harness();
    const noScope = caller({ scopes: [] });
    await rejection(h.policy.callTool(toolCall({ caller: noScope, name: "ghost__read" })));
    await rejection(h.policy.callTool(toolCall({ caller: noScope, name: "plain" })));
    expect(h.rows.map(({ server, tool }) => ({ server, tool }))).toEqual([
      { server: "unknown", tool: "ghost__read" },
      { server: "unknown", tool: "plain" },
    ]);
  });

  it("records a scope refusal in a single-server view against that server, with the name as sent", async () => {
    const h = await harness();
    await rejection(
      h.policy.callTool(
        toolCall({
          caller: caller({ scopes: [] }),
          view: { kind: "single", server: "files" },
          name: "files__read",
        }),
      ),
    );
    expect(h.rows[0]).toMatchObject({ server: "files", tool: "files__read", outcome: "denied" });
  });

  it("audits a name that does not resolve as an error against the unknown server", async () => {
    const h = await harness();
    const error = await rejection(h.policy.callTool(toolCall({ name: "files__nope" })));
    expect(error.message).toContain("Unknown tool 'files__nope'");
    expect(h.rows[0]).toMatchObject({
      server: "unknown",
      tool: "files__nope",
      outcome: "error",
      error: error.message,
    });
    expect(await counts(h.metrics.toolCalls)).toEqual([
      { server: "unknown", tool: "unknown", outcome: "error", value: 1 },
    ]);
  });

  it("refuses a name outside the key's patterns after resolving it, and counts it under its server and tool", async () => {
    const h = await harness();
    const error = await rejection(
      h.policy.callTool(toolCall({ caller: caller({ toolPatterns: ["files__write"] }) })),
    );
    expect(error.message).toBe("This API key may not call 'files__read' (not in its capability patterns)");
    expect(h.seen).toEqual([]);
    expect(h.rows[0]).toMatchObject({
      server: "files",
      tool: "read",
      outcome: "denied",
      error: error.message,
    });
    expect(await counts(h.metrics.toolCalls)).toEqual([
      { server: "files", tool: "read", outcome: "denied", value: 1 },
    ]);
  });

  it("refuses every call while the audit cannot be written, without running or auditing it", async () => {
    const h = await harness();
    h.failAudit(1);
    const withheld = await rejection(h.policy.callTool(toolCall({ requestId: "req-a" })));
    expect(GatewayError.isInstance(withheld) && withheld.code).toBe("audit_unavailable");
    expect(withheld.message).toContain("result was withheld");
    expect(h.seen).toHaveLength(1);
    expect(h.rows).toEqual([]);
    expect(await counts(h.metrics.auditFailures)).toEqual([{ stage: "withheld", value: 1 }]);
    const failed = h.entries.find((e) => e.level === "error");
    expect(failed).toMatchObject({
      message: "audit write failed; the request's result is withheld",
      requestId: "req-a",
      error: "database is locked",
    });
    expect(h.entries.find((e) => e.message === "tool call")).toMatchObject({ audited: false });

    h.probeFails.value = true;
    const refused = await rejection(h.policy.callTool(toolCall({ requestId: "req-b" })));
    expect(GatewayError.isInstance(refused) && refused.code).toBe("audit_unavailable");
    expect(refused.message).toContain("refused before it ran");
    expect(h.seen).toHaveLength(1);
    expect(h.rows).toEqual([]);
    expect(await counts(h.metrics.auditFailures)).toEqual(
      expect.arrayContaining([
        { stage: "withheld", value: 1 },
        { stage: "refused", value: 1 },
      ]),
    );

    // Once the probe commits again, calls run and are audited.
    h.probeFails.value = false;
    await h.policy.callTool(toolCall({ requestId: "req-c" }));
    expect(h.rows.map((r) => r.requestId)).toEqual(["req-c"]);
  });

  it("withholds a failed call's error too when its audit row cannot be committed", async () => {
    const h = await harness();
    h.failAudit(1);
    const error = await rejection(
      h.policy.run(
        request(h, {
          run: async () => {
            throw new Error("upstream broke");
          },
        }),
      ),
    );
    expect(GatewayError.isInstance(error) && error.code).toBe("audit_unavailable");
  });

  it("resumes after a failed audit write once a row commits (the guard hears of the success)", async () => {
    const h = await harness();
    h.failAudit(1);
    await rejection(h.policy.callTool(toolCall()));
    // The guard probes before the next call; the probe commits, the call runs, and its row commits.
    await h.policy.callTool(toolCall({ requestId: "req-next" }));
    await h.policy.callTool(toolCall({ requestId: "req-last" }));
    expect(h.rows.map((r) => r.requestId)).toEqual(["req-next", "req-last"]);
  });
});

describe("requests of other methods", () => {
  it("audits a resource read against its backend and logs it as an mcp request, not counting it as a tool call", async () => {
    const h = await harness();
    const targets: (PolicyTarget | undefined)[] = [];
    const value = await h.policy.run(
      request(h, {
        arguments: { uri: "file:///etc/motd" },
        run: async (_signal, target) => {
          targets.push(target);
          return "read";
        },
      }),
    );
    expect(value).toBe("read");
    expect(targets[0]).toMatchObject({ original: "file:///etc/motd", capability: "files__file:///etc/motd" });
    expect(h.rows[0]).toMatchObject({
      method: "resources/read",
      server: "files",
      tool: "file:///etc/motd",
      outcome: "ok",
      arguments: { uri: "file:///etc/motd" },
    });
    expect(await counts(h.metrics.toolCalls)).toEqual([]);
    expect((await histogram(h.metrics.toolDuration)).count).toEqual([]);
    expect(await counts(h.metrics.mcpRequests)).toEqual([
      { method: "resources/read", server: "files", outcome: "ok", value: 1 },
    ]);
    expect(h.entries[0]).toMatchObject({ level: "info", message: "mcp request", method: "resources/read" });
  });

  it("records a list, which names no server, with a null server and tool", async () => {
    const h = await harness();
    const {
      resolve: _resolve,
      name: _name,
      ...list
    } = request(h, { method: "resources/list", run: async () => [] });
    await h.policy.run(list);
    expect(h.rows[0]).toMatchObject({ method: "resources/list", server: null, tool: null, outcome: "ok" });
    expect(await counts(h.metrics.mcpRequests)).toEqual([
      { method: "resources/list", server: "unknown", outcome: "ok", value: 1 },
    ]);
  });

  it("audits the outcome the request reports for its result", async () => {
    const h = await harness();
    await h.policy.run(
      request(h, {
        run: async () => "partial",
        outcomeOf: () => ({ outcome: "error", error: "half of it" }),
      }),
    );
    await h.policy.run(request(h, { run: async () => "fine", outcomeOf: () => ({ outcome: "ok" }) }));
    expect(h.rows.map(({ outcome, error }) => ({ outcome, error }))).toEqual([
      { outcome: "error", error: "half of it" },
      { outcome: "ok", error: undefined },
    ]);
    expect(Object.hasOwn(h.rows[1]!, "error")).toBe(false);
  });

  it("audits a request whose work fails as an error with the failure's text, and rethrows it", async () => {
    const h = await harness();
    const thrown = new Error("upstream broke");
    const error = await rejection(
      h.policy.run(
        request(h, {
          run: async () => {
            throw thrown;
          },
        }),
      ),
    );
    expect(error).toBe(thrown);
    expect(h.rows[0]).toMatchObject({
      server: "files",
      tool: "file:///etc/motd",
      outcome: "error",
      error: "upstream broke",
    });
    expect(h.entries[0]).toMatchObject({ level: "warn", error: "upstream broke" });
    // A resolved request counts under its server, failed or not.
    expect(await counts(h.metrics.mcpRequests)).toEqual([
      { method: "resources/read", server: "files", outcome: "error", value: 1 },
    ]);
  });

  it("audits a failed request that names something without resolving it by the name it gave", async () => {
    const h = await harness();
    const { resolve: _resolve, ...unresolved } = request(h, {
      method: "completion/complete",
      name: "files__greeting",
      run: async () => {
        throw new Error("no completions");
      },
    });
    await rejection(h.policy.run(unresolved));
    expect(h.rows[0]).toMatchObject({
      method: "completion/complete",
      server: null,
      tool: "files__greeting",
      outcome: "error",
      error: "no completions",
    });
  });

  it("audits a thrown value that is not an error by its text", async () => {
    const h = await harness();
    const error = await rejection(
      h.policy.run(
        request(h, {
          run: async () => {
            throw "plain text";
          },
        }),
      ),
    );
    expect(error).toBe("plain text");
    expect(h.rows[0]).toMatchObject({ outcome: "error", error: "plain text" });
  });

  it("audits a refusal by a thrown value that is not an error by its text", async () => {
    const h = await harness();
    await rejection(
      h.policy.run(
        request(h, {
          resolve: async () => {
            throw "no such resource";
          },
          run: async () => "never",
        }),
      ),
    );
    expect(h.rows[0]).toMatchObject({ outcome: "error", error: "no such resource", server: "unknown" });
  });

  it("audits an upstream's own timeout as a timeout", async () => {
    const h = await harness();
    await rejection(
      h.policy.run(
        request(h, {
          run: async () => {
            throw new UpstreamError("upstream_timeout", "the upstream gave up");
          },
        }),
      ),
    );
    await rejection(
      h.policy.run(
        request(h, {
          run: async () => {
            throw new UpstreamError("upstream_unavailable", "the upstream is down");
          },
        }),
      ),
    );
    expect(h.rows.map((r) => r.outcome)).toEqual(["timeout", "error"]);
  });
});

describe("deadlines and cancellation", () => {
  it("aborts a request that outlives the deadline, naming the method, the name and the setting", async () => {
    const h = await harness({ toolCallTimeoutMs: 50 });
    let signal: AbortSignal | undefined;
    const error = await rejection(
      h.policy.run(
        request(h, {
          run: (s) => {
            signal = s;
            return new Promise(() => {});
          },
        }),
      ),
    );
    expect(GatewayError.isInstance(error) && error.code).toBe("upstream_timeout");
    expect(error.message).toBe(
      "resources/read 'file:///etc/motd' did not answer within 50 ms (timeouts.toolCallMs)",
    );
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(error);
    expect(h.rows[0]).toMatchObject({ outcome: "timeout", error: error.message });
  });

  it("names only the method of a request without a name", async () => {
    const h = await harness({ toolCallTimeoutMs: 50 });
    const { name: _name, ...unnamed } = request(h, { run: () => new Promise(() => {}) });
    const error = await rejection(h.policy.run(unnamed));
    expect(error.message).toBe("resources/read did not answer within 50 ms (timeouts.toolCallMs)");
  });

  it("passes the client's cancel on to the work, with the client's reason", async () => {
    const h = await harness();
    const client = new AbortController();
    let signal: AbortSignal | undefined;
    const running = h.policy.run(
      request(h, {
        signal: client.signal,
        run: (s) =>
          new Promise((_, reject) => {
            signal = s;
            s.addEventListener("abort", () => reject(new Error("cancelled by the caller")));
          }),
      }),
    );
    await turnsUntil(() => signal !== undefined);
    expect(signal?.aborted).toBe(false);
    expect(h.policy.inFlight()).toBe(1);
    client.abort("client went away");
    await rejection(running);
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe("client went away");
    expect(h.rows[0]).toMatchObject({ outcome: "error", error: "cancelled by the caller" });
    expect(h.policy.inFlight()).toBe(0);
  });

  it("passes a tool call's client cancel on to the plugin", async () => {
    const h = await harness({ toolCallTimeoutMs: 10_000 });
    const client = new AbortController();
    const call = h.policy.callTool(toolCall({ name: "files__wait", signal: client.signal }));
    await turnsUntil(() => h.seen.length > 0);
    client.abort("user pressed stop");
    const result = await call;
    expect(result.isError).toBe(true);
    expect(h.rows[0]).toMatchObject({ tool: "wait", outcome: "error" });
    expect(h.rows[0]!.error).toContain("stopped: user pressed stop");
  });

  it("never aborts a finished request's signal: neither the deadline nor a later client cancel reaches it", async () => {
    const h = await harness({ toolCallTimeoutMs: 30 });
    const client = new AbortController();
    let signal: AbortSignal | undefined;
    await h.policy.run(
      request(h, {
        signal: client.signal,
        run: async (s) => {
          signal = s;
          return "done";
        },
      }),
    );
    // Past the deadline the timer would have fired by now (timers fire in order of their due time).
    await new Promise((r) => setTimeout(r, 120));
    client.abort("late");
    expect(signal?.aborted).toBe(false);
  });
});

describe("recording a call refused before dispatch", () => {
  it("records a rate-limited call with a zero duration, counted as unknown, split into server and tool", async () => {
    const h = await harness();
    await h.policy.recordRefused({
      caller: caller(),
      requestId: "req-rl",
      transport: "rest",
      view: { kind: "aggregate" },
      name: "files__read",
      arguments: { path: "/" },
      outcome: "rate_limited",
      error: "Rate limit exceeded",
    });
    expect(h.rows).toEqual([
      {
        requestId: "req-rl",
        method: "tools/call",
        keyId: "key-1",
        transport: "rest",
        arguments: { path: "/" },
        server: "files",
        tool: "read",
        outcome: "rate_limited",
        error: "Rate limit exceeded",
        durationMs: 0,
      },
    ]);
    expect(await counts(h.metrics.toolCalls)).toEqual([
      { server: "unknown", tool: "unknown", outcome: "rate_limited", value: 1 },
    ]);
    expect(h.entries[0]).toMatchObject({ level: "warn", message: "tool call", durationMs: 0 });
  });

  it("records a refused request of another method without a caller or name, and an OAuth caller's principal", async () => {
    const h = await harness();
    await h.policy.recordRefused({
      caller: undefined,
      requestId: "req-x",
      transport: "mcp",
      view: { kind: "single", server: "files" },
      method: "prompts/get",
      name: null,
      arguments: undefined,
      outcome: "denied",
      error: "no key",
    });
    const principal = { issuer: "https://idp.test", subject: "bob", clientId: null, tokenScopes: [] };
    await h.policy.recordRefused({
      caller: caller({ keyId: "oauth:bob", principal }),
      requestId: "req-y",
      transport: "mcp",
      view: { kind: "aggregate" },
      name: null,
      arguments: {},
      outcome: "rate_limited",
      error: "slow down",
    });
    expect(h.rows[0]).toMatchObject({ method: "prompts/get", keyId: null, server: "files", tool: null });
    expect(Object.hasOwn(h.rows[0]!, "principal")).toBe(false);
    expect(h.rows[1]).toMatchObject({
      keyId: "oauth:bob",
      principal: { subject: "bob", clientId: null },
      server: null,
      tool: null,
    });
    expect(await counts(h.metrics.toolCalls)).toEqual([
      { server: "unknown", tool: "unknown", outcome: "rate_limited", value: 1 },
    ]);
    expect(h.entries[0]).toMatchObject({ message: "mcp request" });
  });
});

describe("draining", () => {
  it("answers at once when nothing runs, then refuses new requests", async () => {
    const h = await harness();
    await expect(h.policy.drain(10_000)).resolves.toBe(true);
    const error = await rejection(h.policy.callTool(toolCall()));
    expect(GatewayError.isInstance(error) && error.code).toBe("shutting_down");
    expect(error.message).toBe("The gateway is shutting down; retry on another instance");
    expect(h.rows).toEqual([]);
  });

  it("waits for a running request to finish", async () => {
    const h = await harness();
    let finish: (value: string) => void = () => {};
    const running = h.policy.run(request(h, { run: () => new Promise<string>((r) => (finish = r)) }));
    await turnsUntil(() => h.policy.inFlight() > 0);
    let drained: boolean | undefined;
    const draining = h.policy.drain(60_000).then((done) => (drained = done));
    await new Promise((r) => setTimeout(r, 20));
    expect(drained).toBeUndefined();
    expect(h.policy.inFlight()).toBe(1);
    finish("late result");
    await expect(running).resolves.toBe("late result");
    await draining;
    expect(drained).toBe(true);
    expect(h.policy.inFlight()).toBe(0);
  });

  it("gives up at the deadline and says so while a request still runs", async () => {
    const h = await harness();
    let finish: (value: string) => void = () => {};
    const running = h.policy.run(request(h, { run: () => new Promise<string>((r) => (finish = r)) }));
    await turnsUntil(() => h.policy.inFlight() > 0);
    await expect(h.policy.drain(20)).resolves.toBe(false);
    expect(h.policy.inFlight()).toBe(1);
    finish("done");
    await running;
  });
});
