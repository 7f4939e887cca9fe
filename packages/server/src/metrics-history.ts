import type { MetricSample, MetricsRepository } from "@waygate/core";
import type winston from "winston";
import type { AuditRecord } from "./audit.js";
import { UNKNOWN_LABEL } from "./metrics.js";

/** Roll-ups of this gateway's calls and state, written to the `metrics` table at an interval. */
export interface MetricsRollup {
  /** Counts one audited request (call it once its audit row committed); in memory only, never blocks. */
  observe(entry: AuditRecord): void;
  /** Closes the current window and writes it (with anything an earlier failed write left); never throws. */
  flush(): Promise<void>;
  /** Runs retention and downsampling once; never throws. */
  compact(): Promise<void>;
  /** Rows waiting because the database refused them. */
  pending(): number;
  stop(): Promise<void>;
}

/** What the roll-up reads from the gateway. */
export interface MetricsRollupOptions {
  metrics: MetricsRepository;
  instanceId: string;
  logger: winston.Logger;
  /** Window length; 0 writes only on `flush()`. */
  intervalMs: number;
  compactEveryMs: number;
  /** Server names the gateway knows now: any other name is counted as `unknown`, so label sets stay bounded. */
  knownServers: () => Set<string>;
  upstreamStates: () => { server: string; up: boolean }[];
  auditDepth: () => number;
  retainDays: () => number;
  downsampleAfterHours: () => number;
  now?: () => number;
}

interface CallCounts {
  labels: Record<string, string>;
  calls: number;
  errors: number;
  denials: number;
  rateLimited: number;
  durations: number[];
}

/** Latencies kept per label set and window; past this, later calls are counted but not timed. */
const MAX_DURATIONS = 5000;
/** Distinct key ids counted per window; the rest are counted under `other`. */
const MAX_KEYS = 1000;
/** Tools seen to run are remembered (bounded) so that later failures of the same tool keep its name. */
const MAX_KNOWN_TOOLS = 10_000;
/** Rows kept for retry while the database refuses writes; beyond this the oldest are dropped (and logged). */
const MAX_PENDING = 50_000;

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? 0;
}

/**
 * Starts the roll-up. Each window's counters are written as one batch tagged `instance`; a write the database refuses
 * is logged and retried with the next window, so tool calls never wait for it.
 */
export function startMetricsRollup(options: MetricsRollupOptions): MetricsRollup {
  const now = options.now ?? Date.now;
  let windowStart = now();
  let calls = new Map<string, CallCounts>();
  let keys = new Map<string, number>();
  const knownTools = new Set<string>();
  let pending: MetricSample[] = [];
  let lastWriteMs: number | undefined;
  let writing: Promise<void> | undefined;

  const bounded = (entry: AuditRecord) => {
    const server =
      entry.server === null ? "-" : options.knownServers().has(entry.server) ? entry.server : UNKNOWN_LABEL;
    let tool = "-";
    if (entry.method === "tools/call" && entry.tool !== null) {
      const id = `${server}\u0000${entry.tool}`;
      const ran = entry.outcome === "ok" || entry.outcome === "timeout";
      if (ran && server !== UNKNOWN_LABEL && knownTools.size < MAX_KNOWN_TOOLS) knownTools.add(id);
      tool = knownTools.has(id) ? entry.tool : UNKNOWN_LABEL;
    }
    return { method: entry.method, server, tool };
  };

  const sample = (name: string, labels: Record<string, string>, value: number, at: Date): MetricSample => ({
    name,
    labels: { ...labels, instance: options.instanceId },
    value,
    at,
  });

  function closeWindow(): MetricSample[] {
    const end = now();
    const at = new Date(windowStart);
    const seconds = Math.max(0, (end - windowStart) / 1000);
    const rows: MetricSample[] = [];
    for (const counts of calls.values()) {
      rows.push(sample("waygate_calls_total", counts.labels, counts.calls, at));
      if (counts.errors) rows.push(sample("waygate_call_errors_total", counts.labels, counts.errors, at));
      if (counts.denials) rows.push(sample("waygate_call_denials_total", counts.labels, counts.denials, at));
      if (counts.rateLimited)
        rows.push(sample("waygate_call_rate_limited_total", counts.labels, counts.rateLimited, at));
      const sorted = counts.durations.sort((a, b) => a - b);
      for (const [q, label] of [
        [0.5, "0.5"],
        [0.95, "0.95"],
        [0.99, "0.99"],
      ] as const) {
        rows.push(
          sample("waygate_call_duration_ms", { ...counts.labels, quantile: label }, quantile(sorted, q), at),
        );
      }
    }
    for (const [keyId, count] of keys)
      rows.push(sample("waygate_key_calls_total", { key_id: keyId }, count, at));
    for (const { server, up } of options.upstreamStates()) {
      rows.push(
        sample(
          up ? "waygate_upstream_up_seconds_total" : "waygate_upstream_down_seconds_total",
          { server },
          seconds,
          at,
        ),
      );
    }
    rows.push(sample("waygate_audit_queue_depth", {}, options.auditDepth(), at));
    if (lastWriteMs !== undefined) rows.push(sample("waygate_db_write_latency_ms", {}, lastWriteMs, at));
    calls = new Map();
    keys = new Map();
    windowStart = end;
    return rows;
  }

  async function write(): Promise<void> {
    pending.push(...closeWindow());
    if (pending.length > MAX_PENDING) {
      const dropped = pending.length - MAX_PENDING;
      pending = pending.slice(dropped);
      options.logger.error("metric roll-ups dropped: the database refused writes for too long", { dropped });
    }
    const batch = pending;
    const started = performance.now();
    try {
      await options.metrics.recordMany(batch);
      lastWriteMs = Math.round((performance.now() - started) * 100) / 100;
      pending = pending.slice(batch.length);
    } catch (error) {
      options.logger.warn("metric roll-up write failed; retrying with the next window", {
        rows: batch.length,
        error: String((error as Error).message ?? error),
      });
    }
  }

  const flush = () => {
    // One write at a time: a slow database delays roll-ups, never calls.
    writing ??= write().finally(() => {
      writing = undefined;
    });
    return writing;
  };

  async function compact(): Promise<void> {
    const at = now();
    try {
      await options.metrics.prune(new Date(at - options.retainDays() * 86_400_000));
      await options.metrics.downsample(new Date(at - options.downsampleAfterHours() * 3_600_000));
    } catch (error) {
      options.logger.warn("metric retention failed; retrying later", {
        error: String((error as Error).message ?? error),
      });
    }
  }

  const timer = options.intervalMs > 0 ? setInterval(() => void flush(), options.intervalMs) : undefined;
  timer?.unref();
  const compactTimer =
    options.intervalMs > 0 ? setInterval(() => void compact(), options.compactEveryMs) : undefined;
  compactTimer?.unref();

  return {
    observe(entry) {
      const labels = bounded(entry);
      const id = `${labels.method}\u0000${labels.server}\u0000${labels.tool}`;
      let counts = calls.get(id);
      if (!counts) {
        counts = { labels, calls: 0, errors: 0, denials: 0, rateLimited: 0, durations: [] };
        calls.set(id, counts);
      }
      counts.calls++;
      if (entry.outcome === "error" || entry.outcome === "timeout") counts.errors++;
      if (entry.outcome === "denied") counts.denials++;
      if (entry.outcome === "rate_limited") counts.rateLimited++;
      if (counts.durations.length < MAX_DURATIONS) counts.durations.push(entry.durationMs);
      const key = entry.keyId ?? "anonymous";
      const slot = keys.has(key) || keys.size < MAX_KEYS ? key : "other";
      keys.set(slot, (keys.get(slot) ?? 0) + 1);
    },
    flush,
    compact,
    pending: () => pending.length,
    async stop() {
      if (timer) clearInterval(timer);
      if (compactTimer) clearInterval(compactTimer);
      await writing;
      if (options.intervalMs > 0) await flush();
    },
  };
}
