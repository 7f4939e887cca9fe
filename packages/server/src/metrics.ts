import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** Label value used for tool or server names the gateway does not know, so label sets stay bounded. */
export const UNKNOWN_LABEL = "unknown";

/** The gateway's Prometheus metrics, all on one registry owned by one gateway. */
export interface GatewayMetrics {
  registry: Registry;
  httpRequests: Counter<"method" | "route" | "status">;
  httpDuration: Histogram<"method" | "route" | "status">;
  toolCalls: Counter<"server" | "tool" | "outcome">;
  toolDuration: Histogram<"server" | "tool" | "outcome">;
  mcpRequests: Counter<"method" | "server" | "outcome">;
  mcpRequestDuration: Histogram<"method" | "server" | "outcome">;
  upstreamUp: Gauge<"server">;
  rateLimited: Counter<"transport">;
  authFailures: Counter<"reason">;
  auditQueueDepth: Gauge;
  auditFailures: Counter<"stage">;
  mcpSessions: Gauge<"kind">;
  pinChanges: Counter<"server" | "kind" | "change">;
}

/** Creates a fresh registry with default process metrics and the gateway's own series. */
export function createMetrics(
  options: {
    collectDefault?: boolean;
    auditDepth?: () => number;
    upstreamStates?: () => { server: string; up: boolean }[];
  } = {},
): GatewayMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.collectDefault ?? true) {
    collectDefaultMetrics({ register: registry, prefix: "waygate_" });
    // Gauges named `_total`, which `promtool check metrics` rejects; `nodejs_active_resources` (by type) covers them.
    for (const name of ["active_handles_total", "active_requests_total", "active_resources_total"]) {
      registry.removeSingleMetric(`waygate_nodejs_${name}`);
    }
  }
  const { auditDepth, upstreamStates } = options;
  return {
    registry,
    httpRequests: new Counter({
      name: "waygate_http_requests_total",
      help: "HTTP requests by method, route pattern and status",
      labelNames: ["method", "route", "status"],
      registers,
    }),
    httpDuration: new Histogram({
      name: "waygate_http_request_duration_seconds",
      help: "HTTP request duration by method, route pattern and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    toolCalls: new Counter({
      name: "waygate_tool_calls_total",
      help: "Tool calls by server, tool and outcome",
      labelNames: ["server", "tool", "outcome"],
      registers,
    }),
    toolDuration: new Histogram({
      name: "waygate_tool_call_duration_seconds",
      help: "Tool call duration by server, tool and outcome",
      labelNames: ["server", "tool", "outcome"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    mcpRequests: new Counter({
      name: "waygate_mcp_requests_total",
      help: "MCP requests of every method (tools, prompts, resources, completion, logging) by method, server and outcome",
      labelNames: ["method", "server", "outcome"],
      registers,
    }),
    mcpRequestDuration: new Histogram({
      name: "waygate_mcp_request_duration_seconds",
      help: "MCP request duration by method, server and outcome",
      labelNames: ["method", "server", "outcome"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    upstreamUp: new Gauge({
      name: "waygate_upstream_up",
      help: "1 when the upstream or plugin is ready, 0 otherwise",
      labelNames: ["server"],
      registers,
      collect() {
        if (!upstreamStates) return;
        this.reset();
        for (const { server, up } of upstreamStates()) this.set({ server }, up ? 1 : 0);
      },
    }),
    rateLimited: new Counter({
      name: "waygate_rate_limited_total",
      help: "Requests refused by the per-key rate limit",
      labelNames: ["transport"],
      registers,
    }),
    authFailures: new Counter({
      name: "waygate_auth_failures_total",
      help: "Requests refused for a missing or bad API key or access token, by reason",
      labelNames: ["reason"],
      registers,
    }),
    auditQueueDepth: new Gauge({
      name: "waygate_audit_queue_depth",
      help: "Audit entries waiting to be committed",
      registers,
      collect() {
        if (auditDepth) this.set(auditDepth());
      },
    }),
    auditFailures: new Counter({
      name: "waygate_audit_unavailable_total",
      help: "Tool calls failed closed because the audit could not be written: result withheld, or refused before running",
      labelNames: ["stage"],
      registers,
    }),
    mcpSessions: new Gauge({
      name: "waygate_mcp_sessions",
      help: "Open MCP sessions by kind",
      labelNames: ["kind"],
      registers,
    }),
    pinChanges: new Counter({
      name: "waygate_pin_changes_total",
      help: "Definition pin changes seen in servers' lists (first, new, changed, removed, restored)",
      labelNames: ["server", "kind", "change"],
      registers,
    }),
  };
}
