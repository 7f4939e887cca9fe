import { useEffect, useMemo, useState } from "preact/hooks";
import { api } from "../api.js";
import { round, type Series, TimeChart } from "../chart.js";
import { messageOf } from "../format.js";
import { Notice, StateBadge, Table } from "../ui.js";

interface Bucket {
  at: string;
  calls: number;
  errors: number;
  p50Ms: number | null;
  p95Ms: number | null;
}
interface Stats {
  stepMs: number;
  buckets: Bucket[];
  servers: { server: string | null; buckets: Bucket[] }[];
}
interface Connection {
  database: { kind: string; ok: boolean; latencyMs: number; error?: string };
}
interface Status {
  status: string;
  ready: boolean;
  uptimeSeconds: number;
  sessions: number;
  inFlightCalls: number;
  servers: { name: string; kind: string; state: string; restarts: number; lastError?: { message: string } }[];
}

const REFRESH_MS = 60_000;
const CALLS_REFRESH_MS = 5_000;
const COLORS = ["#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0969da", "#57606a"];

/** Health, each upstream's state, and the last hour's traffic as plots, updated when the gateway pushes a change. */
export function OverviewPage() {
  const [status, setStatus] = useState<Status | null>(null);
  const [stats, setStats] = useState<Stats | null>(null);
  const [connection, setConnection] = useState<Connection | null>(null);
  const [error, setError] = useState("");
  const [updated, setUpdated] = useState<Date | null>(null);

  const [pushed, setPushed] = useState(false);

  useEffect(() => {
    let live = true;
    const load = async () => {
      try {
        const [s, st, c] = await Promise.all([
          api<Status>("/mcp/status"),
          api<Stats>("/admin/audit/stats?since=1h&step=1m"),
          api<Connection>("/diagnostics/connection"),
        ]);
        if (!live) return;
        setStatus(s);
        setStats(st);
        setConnection(c);
        setUpdated(new Date());
        setError("");
      } catch (e) {
        if (live) setError(messageOf(e));
      }
    };
    void load();
    // The gateway pushes what changed (a server's state, audited calls); the page then reloads the figures from
    // their documented routes. A slow refresh remains for the clock-driven figures (uptime, the hour's window).
    const source = new EventSource("/admin/stream");
    source.addEventListener("ready", () => setPushed(true));
    source.addEventListener("servers", () => void load());
    // Calls come often on a busy gateway and the hour's stats cost a query: at most one such refresh per 5 s.
    let lastCalls = 0;
    let pending: ReturnType<typeof setTimeout> | undefined;
    source.addEventListener("calls", () => {
      if (pending) return;
      const wait = Math.max(0, lastCalls + CALLS_REFRESH_MS - Date.now());
      pending = setTimeout(() => {
        pending = undefined;
        lastCalls = Date.now();
        void load();
      }, wait);
    });
    source.onerror = () => setPushed(false);
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      source.close();
      clearInterval(timer);
      clearTimeout(pending);
    };
  }, []);

  const charts = useMemo(() => (stats ? chartData(stats) : null), [stats]);
  const last = stats?.buckets.filter((b) => b.calls > 0).at(-1);
  const total = stats?.buckets.reduce((n, b) => n + b.calls, 0) ?? 0;
  const errors = stats?.buckets.reduce((n, b) => n + b.errors, 0) ?? 0;

  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <Notice kind="error">{error}</Notice>
      {status && (
        <div class="cards">
          <div class="card">
            <span class="card-label">Gateway</span>
            <StateBadge state={status.status} />
          </div>
          {connection && (
            <div class="card">
              <span class="card-label">Database ({connection.database.kind})</span>
              <StateBadge state={connection.database.ok ? "ok" : "failed"} />
              <span class="muted">
                {connection.database.ok
                  ? `write probe ${round(connection.database.latencyMs)} ms`
                  : connection.database.error}
              </span>
            </div>
          )}
          <div class="card">
            <span class="card-label">Calls, last hour</span>
            <strong>{total}</strong>
          </div>
          <div class="card">
            <span class="card-label">Error rate, last hour</span>
            <strong>{total ? `${((errors / total) * 100).toFixed(1)} %` : "–"}</strong>
          </div>
          <div class="card">
            <span class="card-label">Latency p50 / p95 (last minute with calls)</span>
            <strong>{last ? `${round(last.p50Ms ?? 0)} / ${round(last.p95Ms ?? 0)} ms` : "–"}</strong>
          </div>
          <div class="card">
            <span class="card-label">Sessions · in flight · uptime</span>
            <strong>
              {status.sessions} · {status.inFlightCalls} · {formatUptime(status.uptimeSeconds)}
            </strong>
          </div>
        </div>
      )}
      {charts && (
        <div class="charts">
          <TimeChart title="Calls per second" times={charts.times} series={charts.rate} />
          <TimeChart title="Error rate (%)" times={charts.times} series={charts.errorRate} unit=" %" />
          <TimeChart title="Latency p50 / p95 (ms)" times={charts.times} series={charts.latency} unit=" ms" />
          <TimeChart
            title="Latency per server, p50 dashed / p95 solid (ms)"
            times={charts.times}
            series={charts.latencyPerServer}
            unit=" ms"
          />
          <TimeChart title="Errors per server" times={charts.times} series={charts.errorsPerServer} />
        </div>
      )}
      {status && (
        <Table caption="Upstreams and plugins">
          <thead>
            <tr>
              <th scope="col">Server</th>
              <th scope="col">Kind</th>
              <th scope="col">State</th>
              <th scope="col">Restarts</th>
              <th scope="col">Last error</th>
            </tr>
          </thead>
          <tbody>
            {status.servers.map((s) => (
              <tr key={s.name}>
                <td>{s.name}</td>
                <td>{s.kind}</td>
                <td>
                  <StateBadge state={s.state} />
                </td>
                <td>{s.restarts}</td>
                <td class="wrap">{s.lastError?.message ?? "–"}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      <p class="muted" aria-live="polite">
        {updated
          ? `Updated ${updated.toLocaleTimeString(undefined, { hour12: false })}; ${
              pushed
                ? "live: the gateway pushes changes."
                : "reconnecting to the gateway's push stream; refreshes every minute."
            }`
          : "Loading…"}
      </p>
    </section>
  );
}

function formatUptime(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

function chartData(stats: Stats) {
  const times = stats.buckets.map((b) => Date.parse(b.at) / 1000);
  const stepSeconds = stats.stepMs / 1000;
  const index = new Map(times.map((t, i) => [t, i]));
  const rate: Series[] = [
    { label: "calls/s", values: stats.buckets.map((b) => b.calls / stepSeconds), color: COLORS[0]! },
  ];
  const errorRate: Series[] = [
    {
      label: "errors",
      values: stats.buckets.map((b) => (b.calls ? (b.errors / b.calls) * 100 : null)),
      color: COLORS[1]!,
    },
  ];
  const latency: Series[] = [
    { label: "p50", values: stats.buckets.map((b) => b.p50Ms), color: COLORS[0]! },
    { label: "p95", values: stats.buckets.map((b) => b.p95Ms), color: COLORS[3]! },
  ];
  // A server's buckets hold only the steps with calls: spread them over the whole range (`empty` elsewhere).
  const spread = (buckets: Bucket[], pick: (b: Bucket) => number | null, empty: number | null) => {
    const values: (number | null)[] = times.map(() => empty);
    for (const b of buckets) {
      const i = index.get(Date.parse(b.at) / 1000);
      if (i !== undefined) values[i] = pick(b);
    }
    return values;
  };
  const named = stats.servers.map((s, n) => ({
    ...s,
    label: s.server ?? "(no server)",
    color: COLORS[(n + 1) % COLORS.length]!,
  }));
  const errorsPerServer: Series[] = named
    .filter((s) => s.buckets.some((b) => b.errors > 0))
    .map((s) => ({ label: s.label, values: spread(s.buckets, (b) => b.errors, 0), color: s.color }));
  if (errorsPerServer.length === 0) {
    errorsPerServer.push({ label: "no errors", values: times.map(() => 0), color: COLORS[2]! });
  }
  const latencyPerServer: Series[] = named
    .filter((s) => s.server !== null)
    .flatMap((s) => [
      {
        label: `${s.label} p50`,
        values: spread(s.buckets, (b) => b.p50Ms, null),
        color: s.color,
        dash: true,
      },
      { label: `${s.label} p95`, values: spread(s.buckets, (b) => b.p95Ms, null), color: s.color },
    ]);
  if (latencyPerServer.length === 0) {
    latencyPerServer.push({ label: "no calls", values: times.map(() => null), color: COLORS[2]! });
  }
  return { times, rate, errorRate, latency, latencyPerServer, errorsPerServer };
}
