import { useCallback, useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { messageOf } from "../format.js";
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
interface Tool {
  name: string;
  server: string;
  originalName: string;
  description?: string;
}
interface Pin {
  server: string;
  kind: string;
  name: string;
  status: string;
}

/** Each server with its state, tools and pins; enable, disable, reload, remove, and add a remote server. */
export function ServersPage() {
  const [servers, setServers] = useState<Server[]>([]);
  const [tools, setTools] = useState<Tool[]>([]);
  const [pins, setPins] = useState<Pin[]>([]);
  const [error, setError] = useState("");
  const [notice, setNotice] = useState("");

  const load = useCallback(async () => {
    try {
      const [s, t, p] = await Promise.all([
        api<{ servers: Server[] }>("/admin/servers"),
        api<{ tools: Tool[] }>("/mcp/tools"),
        api<{ pins: Pin[] }>("/admin/pins"),
      ]);
      setServers(s.servers);
      setTools(t.tools);
      setPins(p.pins);
      setError("");
    } catch (e) {
      setError(messageOf(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const act = async (label: string, path: string, method = "POST") => {
    setNotice("");
    try {
      await api(path, { method });
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
        const own = tools.filter((t) => t.server === server.name);
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
                Last error{server.lastError.at ? ` (${server.lastError.at})` : ""}: {server.lastError.message}
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
            <p class="muted">
              Pins: {pending.length === 0 ? "all definitions approved" : `${pending.length} pending review`}
            </p>
            {own.length > 0 ? (
              <Table caption={`Tools of ${server.name}`}>
                <thead>
                  <tr>
                    <th scope="col">Tool</th>
                    <th scope="col">Description</th>
                  </tr>
                </thead>
                <tbody>
                  {own.map((tool) => (
                    <tr key={tool.name}>
                      <td>
                        <code>{tool.name}</code>
                      </td>
                      <td class="wrap">{tool.description ?? ""}</td>
                    </tr>
                  ))}
                </tbody>
              </Table>
            ) : (
              <p class="muted">No tools listed.</p>
            )}
          </article>
        );
      })}
    </section>
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
