import { useEffect, useState } from "preact/hooks";
import { api, queryString } from "../api.js";
import { messageOf, when } from "../format.js";
import { DetailPanel, Notice, Table } from "../ui.js";

interface AuditRow {
  id: number;
  requestId: string;
  method: string;
  keyId: string | null;
  server: string | null;
  tool: string | null;
  transport: string;
  arguments: unknown;
  outcome: string;
  error: string | null;
  durationMs: number;
  at: string;
}
interface Filter {
  keyId: string;
  server: string;
  tool: string;
  method: string;
  outcome: string;
  since: string;
  /** A custom window (datetime-local values); `from` replaces the preset `since`. */
  from: string;
  until: string;
}

const EMPTY: Filter = {
  keyId: "",
  server: "",
  tool: "",
  method: "",
  outcome: "",
  since: "24h",
  from: "",
  until: "",
};

/** The API's query parameters of a filter: a custom window as ISO date-times, else the preset duration. */
function paramsOf(filter: Filter) {
  const { from, until, since, ...columns } = filter;
  const iso = (local: string) => (local ? new Date(local).toISOString() : undefined);
  return { ...columns, since: iso(from) ?? since, until: iso(until) };
}
const OUTCOMES = ["ok", "error", "denied", "rate_limited", "timeout"];
const RANGES = [
  ["15m", "Last 15 minutes"],
  ["1h", "Last hour"],
  ["24h", "Last 24 hours"],
  ["7d", "Last 7 days"],
  ["30d", "Last 30 days"],
] as const;

/** The audit trail: filters, cursor pages, one row's redacted arguments and error, export as JSONL or CSV. */
export function AuditPage() {
  const [filter, setFilter] = useState<Filter>(EMPTY);
  const [rows, setRows] = useState<AuditRow[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [keys, setKeys] = useState<{ id: string; name: string }[]>([]);
  const [detail, setDetail] = useState<AuditRow | null>(null);
  const [error, setError] = useState("");

  const load = async (applied: Filter, after: string | null) => {
    try {
      const page = await api<{ items: AuditRow[]; nextCursor: string | null }>(
        `/admin/audit${queryString({ ...paramsOf(applied), limit: 50, cursor: after })}`,
      );
      setRows((previous) => (after ? [...previous, ...page.items] : page.items));
      setCursor(page.nextCursor);
      setError("");
    } catch (e) {
      setError(messageOf(e));
    }
  };
  useEffect(() => {
    void load(filter, null);
    api<{ keys: { id: string; name: string }[] }>("/admin/keys").then(
      (k) => setKeys(k.keys),
      () => {},
    );
  }, []);

  const submit = (event: Event) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const next = Object.fromEntries(
      Object.keys(EMPTY).map((k) => [k, String(data.get(k) ?? "").trim()]),
    ) as unknown as Filter;
    setFilter(next);
    setDetail(null);
    void load(next, null);
  };
  const open = async (row: AuditRow) => {
    try {
      setDetail((await api<{ item: AuditRow }>(`/admin/audit/${row.id}`)).item);
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const keyName = (id: string | null) => (id ? (keys.find((k) => k.id === id)?.name ?? id) : "–");
  const exportHref = (format: "jsonl" | "csv") =>
    `/admin/audit${queryString({ ...paramsOf(filter), format })}`;

  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form class="filters" onSubmit={submit} aria-label="Audit filters">
        <label>
          Key
          <select name="keyId">
            <option value="">Any key</option>
            {keys.map((k) => (
              <option value={k.id} key={k.id} selected={k.id === filter.keyId}>
                {k.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Server
          <input name="server" defaultValue={filter.server} autocomplete="off" />
        </label>
        <label>
          Tool (name on its server)
          <input name="tool" defaultValue={filter.tool} autocomplete="off" />
        </label>
        <label>
          Method
          <input name="method" defaultValue={filter.method} placeholder="tools/call" autocomplete="off" />
        </label>
        <label>
          Outcome
          <select name="outcome">
            <option value="">Any outcome</option>
            {OUTCOMES.map((o) => (
              <option value={o} key={o} selected={o === filter.outcome}>
                {o}
              </option>
            ))}
          </select>
        </label>
        <label>
          Time
          <select name="since">
            {RANGES.map(([value, label]) => (
              <option value={value} key={value} selected={value === filter.since}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          From (instead of Time)
          <input name="from" type="datetime-local" defaultValue={filter.from} />
        </label>
        <label>
          Until
          <input name="until" type="datetime-local" defaultValue={filter.until} />
        </label>
        <div class="form-actions">
          <button type="submit">Apply filters</button>
          <a class="button" href={exportHref("jsonl")} download>
            Export JSONL
          </a>
          <a class="button" href={exportHref("csv")} download>
            Export CSV
          </a>
        </div>
      </form>
      <Notice kind="error">{error}</Notice>
      <Table caption={`Audit rows (${rows.length}${cursor ? "+" : ""})`}>
        <thead>
          <tr>
            <th scope="col">Time (open the row)</th>
            <th scope="col">Outcome</th>
            <th scope="col">Key</th>
            <th scope="col">Method</th>
            <th scope="col">Server</th>
            <th scope="col">Tool</th>
            <th scope="col">ms</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.id} class={row.outcome === "ok" ? "" : "row-bad"}>
              <td>
                {/* The first cell opens the row, so it is in reach without scrolling at phone width. */}
                <button
                  type="button"
                  class="link"
                  onClick={() => open(row)}
                  aria-label={`Details of row ${row.id}`}
                >
                  {when(row.at)}
                </button>
              </td>
              <td>
                <span class={`badge badge-${row.outcome}`}>{row.outcome}</span>
              </td>
              <td>{keyName(row.keyId)}</td>
              <td>{row.method}</td>
              <td>{row.server ?? "–"}</td>
              <td>{row.tool ?? "–"}</td>
              <td>{row.durationMs}</td>
            </tr>
          ))}
        </tbody>
      </Table>
      {rows.length === 0 && <p class="muted">No rows match these filters.</p>}
      {cursor && (
        <button type="button" onClick={() => load(filter, cursor)}>
          Load more
        </button>
      )}
      {detail && (
        <DetailPanel
          label={`Audit row ${detail.id}`}
          title={
            <>
              Row {detail.id} <span class={`badge badge-${detail.outcome}`}>{detail.outcome}</span>
            </>
          }
          onClose={() => setDetail(null)}
        >
          <dt>Time</dt>
          <dd>{when(detail.at)}</dd>
          <dt>Request id</dt>
          <dd class="mono">{detail.requestId}</dd>
          <dt>Key</dt>
          <dd>{keyName(detail.keyId)}</dd>
          <dt>Call</dt>
          <dd>
            {detail.method} {detail.server ?? ""} {detail.tool ?? ""} over {detail.transport}
          </dd>
          <dt>Error</dt>
          <dd class="wrap">{detail.error ?? "–"}</dd>
          <dt>Arguments (redacted)</dt>
          <dd>
            <pre>{JSON.stringify(detail.arguments, null, 2)}</pre>
          </dd>
        </DetailPanel>
      )}
    </section>
  );
}
