import { useEffect, useState } from "preact/hooks";
import { api, queryString } from "../api.js";
import { messageOf, when } from "../format.js";
import { DetailPanel, Notice, Table } from "../ui.js";

interface Event {
  id: number;
  level: string;
  type: string;
  message: string;
  details: unknown;
  at: string;
}

/** System events (starts, reloads, crashes, revocations, sign-ins) filtered by level and type, paged; one opens as JSON. */
export function EventsPage() {
  const [filter, setFilter] = useState({ level: "", type: "", since: "7d" });
  const [rows, setRows] = useState<Event[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState("");
  const [detail, setDetail] = useState<Event | null>(null);

  const open = async (id: number) => {
    try {
      setDetail((await api<{ item: Event }>(`/admin/events/${id}`)).item);
      setError("");
    } catch (e) {
      setError(messageOf(e));
    }
  };

  const load = async (applied: typeof filter, after: string | null) => {
    try {
      const page = await api<{ items: Event[]; nextCursor: string | null }>(
        `/admin/events${queryString({ ...applied, limit: 50, cursor: after })}`,
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
  }, []);

  const submit = (event: globalThis.Event) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const next = {
      level: String(data.get("level") ?? ""),
      type: String(data.get("type") ?? "").trim(),
      since: String(data.get("since") ?? "7d"),
    };
    setFilter(next);
    void load(next, null);
  };

  return (
    <section aria-labelledby="events-title">
      <h1 id="events-title">System events</h1>
      <form class="filters" onSubmit={submit} aria-label="Event filters">
        <label>
          Level
          <select name="level">
            <option value="">Any level</option>
            {["debug", "info", "warn", "error"].map((l) => (
              <option value={l} key={l} selected={l === filter.level}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          Type
          <input name="type" defaultValue={filter.type} placeholder="upstream.crashed" autocomplete="off" />
        </label>
        <label>
          Time
          <select name="since">
            <option value="1h" selected={filter.since === "1h"}>
              Last hour
            </option>
            <option value="24h" selected={filter.since === "24h"}>
              Last 24 hours
            </option>
            <option value="7d" selected={filter.since === "7d"}>
              Last 7 days
            </option>
            <option value="30d" selected={filter.since === "30d"}>
              Last 30 days
            </option>
          </select>
        </label>
        <div class="form-actions">
          <button type="submit">Apply filters</button>
        </div>
      </form>
      <Notice kind="error">{error}</Notice>
      <Table caption={`Events (${rows.length}${cursor ? "+" : ""})`}>
        <thead>
          <tr>
            <th scope="col">Time (open the event)</th>
            <th scope="col">Level</th>
            <th scope="col">Type</th>
            <th scope="col">Message</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.id}>
              <td>
                <button
                  type="button"
                  class="link"
                  onClick={() => open(row.id)}
                  aria-label={`Details of event ${row.id}`}
                >
                  {when(row.at)}
                </button>
              </td>
              <td>
                <span class={`badge badge-${row.level}`}>{row.level}</span>
              </td>
              <td>
                <code>{row.type}</code>
              </td>
              <td class="wrap">{row.message}</td>
            </tr>
          ))}
        </tbody>
      </Table>
      {rows.length === 0 && <p class="muted">No events match these filters.</p>}
      {cursor && (
        <button type="button" onClick={() => load(filter, cursor)}>
          Load more
        </button>
      )}
      {detail && (
        <DetailPanel
          label={`Event ${detail.id}`}
          title={
            <>
              Event {detail.id} <span class={`badge badge-${detail.level}`}>{detail.level}</span>
            </>
          }
          onClose={() => setDetail(null)}
        >
          <dt>Time</dt>
          <dd>{when(detail.at)}</dd>
          <dt>Type</dt>
          <dd>
            <code>{detail.type}</code>
          </dd>
          <dt>Message</dt>
          <dd class="wrap">{detail.message}</dd>
          <dt>JSON (secrets redacted)</dt>
          <dd>
            <section aria-label={`JSON of event ${detail.id}`}>
              <pre>{JSON.stringify(detail, null, 2)}</pre>
            </section>
          </dd>
        </DetailPanel>
      )}
    </section>
  );
}
