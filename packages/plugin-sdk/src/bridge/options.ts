import { z } from "zod";
import { UpstreamEraVerdictSchema } from "./upstream-era.js";

const StdioTransportSchema = z.object({
  type: z.literal("stdio"),
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  /** Extra environment for the server; only a safe default set of variables is inherited. */
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().optional(),
  /**
   * Run the server in its own process group, so that even processes it leaves behind after crashing are
   * ended on shutdown. Costs latency on Linux (a new session is scheduled as its own autogroup).
   */
  ownProcessGroup: z.boolean().default(false),
});

const HttpTransportSchema = z.object({
  type: z.literal("http"),
  url: z.url(),
  headers: z.record(z.string(), z.string()).default({}),
});

const SseTransportSchema = z.object({
  type: z.literal("sse"),
  url: z.url(),
  headers: z.record(z.string(), z.string()).default({}),
});

/** Where an upstream MCP server is and how to reach it. */
export const UpstreamTransportSchema = z.discriminatedUnion("type", [
  StdioTransportSchema,
  HttpTransportSchema,
  SseTransportSchema,
]);

/** Options of a McpBridgePlugin (the JSON-serialisable part). */
export const McpBridgeOptionsSchema = z.object({
  /** Plugin name; the upstream's tools appear as `<name>__<tool>` in the gateway. */
  name: z.string(),
  version: z.string().default("0.0.0"),
  description: z.string().optional(),
  transport: UpstreamTransportSchema,
  timeouts: z
    .object({
      /** How long the upstream has to answer `initialize` and the first lists. */
      connectMs: z.number().int().positive().default(10_000),
      /** How long a forwarded call, read or prompt may take before it is cancelled upstream. */
      callMs: z.number().int().positive().default(60_000),
      /** How long shutdown waits at each step (stdin closed, SIGTERM) before escalating to SIGKILL. */
      killGraceMs: z.number().int().positive().default(2_000),
    })
    .prefault({}),
  restart: z
    .object({
      /** Consecutive failed restarts after which the upstream is marked failed. */
      maxAttempts: z.number().int().min(0).default(5),
      initialDelayMs: z.number().int().positive().default(500),
      maxDelayMs: z.number().int().positive().default(30_000),
    })
    .prefault({}),
  protocol: z
    .object({
      /**
       * `auto` probes with `server/discover` and falls back to `initialize`, so the upstream may speak either
       * protocol era; `legacy` skips the probe (for a stdio server known to stay silent on unknown requests,
       * where the probe would wait out `connectMs`).
       */
      negotiation: z.enum(["auto", "legacy"]).default("auto"),
      /**
       * The era found by an earlier connection (`McpBridgePlugin.upstreamEra()`): a modern verdict connects
       * with no round trip, a legacy one goes straight to `initialize`. Dropped (and the upstream probed
       * again) when a connection made with it fails. Date what you store: a stale legacy verdict keeps
       * working against an upgraded server and is never corrected.
       */
      prior: UpstreamEraVerdictSchema.optional(),
    })
    .prefault({}),
  /** Largest single message accepted from a stdio upstream, in bytes. */
  maxMessageBytes: z
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024),
});

/** McpBridgePlugin options as written by a user (defaults optional). */
export type McpBridgeOptionsInput = z.input<typeof McpBridgeOptionsSchema>;

/** McpBridgePlugin options after defaults are applied. */
export type McpBridgeOptions = z.output<typeof McpBridgeOptionsSchema>;

/** Restart back-off settings. */
export type RestartPolicy = McpBridgeOptions["restart"];
