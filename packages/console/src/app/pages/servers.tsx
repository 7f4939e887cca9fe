import { useCallback, useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { messageOf, when } from "../format.js";
import { Notice, StateBadge, Table } from "../ui.js";

interface Server {
  name: string;
  kind: string;
  origin: string;
  transport?: string;
  state: string;
  enabled: boolean;
  restarts?: number;
  lastError?: { code?: string; message: string; at?: string };
}
interface Capabilities {
  tools: { name: string; originalName: string; description: string | null }[];
  prompts: { name: string; originalName: string; description: string | null }[];
  resources: { uri: string; name: string; description: string | null }[];
  resourceTemplates: { uriTemplate: string; name: string; description: string | null }[];
}
interface Pin {
  server: string;
  kind: string;
  name: string;
  status: string;
  currentHash: string | null;
}

/** Each server with its state, tools and pins; enable, disable, reload, remove, and add a remote server. */
export function ServersPage() {
  const [servers, setServers] = useState<Server[]>([]);
  const [capabilities, setCapabilities] = useState<Record<string, Capabilities>>({});
  const [pins, setPins] = useState<Pin[]>([]);
  const [error, setError] = useState("");
  const [notice, setNotice] = useState("");

  const load = useCallback(async () => {
    try {
      const [s, p] = await Promise.all([
        api<{ servers: Server[] }>("/admin/servers"),
        api<{ pins: Pin[] }>("/admin/pins"),
      ]);
      // A server that is not running (disabled, failed) has no lists: it shows none instead of failing the page.
      const lists = await Promise.all(
        s.servers.map((server) =>
          server.enabled
            ? api<Capabilities>(`/admin/servers/${encodeURIComponent(server.name)}/capabilities`).catch(
                () => null,
              )
            : null,
        ),
      );
      setServers(s.servers);
      setCapabilities(
        Object.fromEntries(
          s.servers.flatMap((server, i) => (lists[i] ? [[server.name, lists[i]] as const] : [])),
        ),
      );
      setPins(p.pins);
      setError("");
    } catch (e) {
      setError(messageOf(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const act = async (label: string, path: string, method = "POST", body?: unknown) => {
    setNotice("");
    try {
      await api(path, { method, ...(body === undefined ? {} : { body }) });
      setNotice(label);
      await load();
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <section aria-labelledby="servers-title">
      <h1 id="servers-title">Servers</h1>
      <Notice kind="error">{error}</Notice>
      <Notice kind="ok">{notice}</Notice>
      <AddServerForm
        onAdded={async (name) => {
          setNotice(`Added ${name}`);
          await load();
        }}
      />
      {servers.map((server) => {
        const own = capabilities[server.name];
        const pending = pins.filter((p) => p.server === server.name && p.status !== "approved");
        const name = encodeURIComponent(server.name);
        return (
          <article class="server" key={server.name} aria-labelledby={`server-${server.name}`}>
            <header class="server-head">
              <h2 id={`server-${server.name}`}>{server.name}</h2>
              <StateBadge state={server.state} />
              <span class="muted">
                {server.kind}
                {server.transport ? ` · ${server.transport}` : ""} · {server.origin}
                {server.restarts ? ` · ${server.restarts} restarts` : ""}
              </span>
            </header>
            {server.lastError && (
              <p class="notice notice-error">
                Last error{server.lastError.at ? ` (${when(server.lastError.at)})` : ""}:{" "}
                {server.lastError.message}
              </p>
            )}
            <div class="actions">
              {server.enabled ? (
                <button
                  type="button"
                  onClick={() => act(`Disabled ${server.name}`, `/admin/servers/${name}/disable`)}
                >
                  Disable
                </button>
              ) : (
                <button
                  type="button"
                  onClick={() => act(`Enabled ${server.name}`, `/admin/servers/${name}/enable`)}
                >
                  Enable
                </button>
              )}
              {server.enabled && server.kind !== "plugin" && (
                <button
                  type="button"
                  onClick={() => act(`Restarted ${server.name}`, `/mcp/servers/${name}/reload`)}
                >
                  {server.state === "failed" ? "Restart" : "Reload"}
                </button>
              )}
              {server.origin === "database" && (
                <button
                  type="button"
                  class="danger"
                  onClick={() =>
                    window.confirm(`Remove ${server.name}?`) &&
                    act(`Removed ${server.name}`, `/admin/servers/${name}`, "DELETE")
                  }
                >
                  Remove
                </button>
              )}
            </div>
            <PinState
              pending={pending}
              onApprove={(pin) =>
                act(`Approved ${pin.kind} ${pin.name} of ${server.name}`, "/admin/pins/approve", "POST", {
                  server: pin.server,
                  kind: pin.kind,
                  name: pin.name,
                  ...(pin.currentHash ? { hash: pin.currentHash } : {}),
                })
              }
            />
            {/* A failed server answers empty lists: say it is not running rather than that it lists nothing. */}
            {own && server.state !== "failed" ? (
              <CapabilityTables server={server.name} capabilities={own} />
            ) : (
              <p class="muted">Not running: no lists.</p>
            )}
          </article>
        );
      })}
    </section>
  );
}

/** The server's definition pins: all approved, or each one awaiting review with an approve button. */
function PinState(props: { pending: Pin[]; onApprove: (pin: Pin) => void }) {
  if (props.pending.length === 0) return <p class="muted">Pins: all definitions approved</p>;
  return (
    <Table caption={`Pins awaiting review (${props.pending.length})`}>
      <thead>
        <tr>
          <th scope="col">Definition</th>
          <th scope="col">State</th>
          <th scope="col">
            <span class="visually-hidden">Action</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {props.pending.map((pin) => (
          <tr key={`${pin.kind}:${pin.name}`}>
            <td>
              {pin.kind} <code>{pin.name}</code>
            </td>
            <td>
              <StateBadge state={pin.status} />
            </td>
            <td>
              {pin.status !== "rejected" && (
                <button
                  type="button"
                  onClick={() => props.onApprove(pin)}
                  aria-label={`Approve ${pin.kind} ${pin.name}`}
                >
                  Approve
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

function CapabilityTables(props: { server: string; capabilities: Capabilities }) {
  const { server, capabilities } = props;
  const rows = (items: { key: string; name: string; description: string | null }[]) =>
    items.map((item) => (
      <tr key={item.key}>
        <td>
          <code>{item.name}</code>
        </td>
        <td class="wrap">{item.description ?? ""}</td>
      </tr>
    ));
  const table = (
    caption: string,
    header: string,
    items: { key: string; name: string; description: string | null }[],
  ) =>
    items.length === 0 ? null : (
      <Table caption={caption}>
        <thead>
          <tr>
            <th scope="col">{header}</th>
            <th scope="col">Description</th>
          </tr>
        </thead>
        <tbody>{rows(items)}</tbody>
      </Table>
    );
  const empty =
    capabilities.tools.length +
      capabilities.prompts.length +
      capabilities.resources.length +
      capabilities.resourceTemplates.length ===
    0;
  return (
    <>
      {empty && <p class="muted">No tools, prompts or resources listed.</p>}
      {table(
        `Tools of ${server}`,
        "Tool",
        capabilities.tools.map((t) => ({ key: t.name, name: t.name, description: t.description })),
      )}
      {table(
        `Prompts of ${server}`,
        "Prompt",
        capabilities.prompts.map((p) => ({ key: p.name, name: p.name, description: p.description })),
      )}
      {table(`Resources of ${server}`, "Resource", [
        ...capabilities.resources.map((r) => ({
          key: r.uri,
          name: r.uri,
          description: r.description ?? r.name,
        })),
        ...capabilities.resourceTemplates.map((r) => ({
          key: r.uriTemplate,
          name: r.uriTemplate,
          description: r.description ?? r.name,
        })),
      ])}
    </>
  );
}

function AddServerForm(props: { onAdded: (name: string) => Promise<void> }) {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const name = String(data.get("name") ?? "").trim();
    setBusy(true);
    setError("");
    try {
      await api("/admin/servers", {
        method: "POST",
        body: { name, url: String(data.get("url") ?? "").trim(), type: String(data.get("type") ?? "http") },
      });
      form.reset();
      await props.onAdded(name);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <details class="panel">
      <summary>Add a remote server</summary>
      <form onSubmit={submit} class="form-grid">
        <label>
          Name
          <input name="name" required pattern="[a-zA-Z0-9_\-]{1,64}" autocomplete="off" />
        </label>
        <label>
          URL
          <input name="url" type="url" required placeholder="https://mcp.example.com/mcp" />
        </label>
        <label>
          Transport
          <select name="type">
            <option value="http">Streamable HTTP</option>
            <option value="sse">SSE (legacy)</option>
          </select>
        </label>
        <div class="form-actions">
          <button type="submit" disabled={busy}>
            Add server
          </button>
        </div>
      </form>
      <Notice kind="error">{error}</Notice>
    </details>
  );
}
