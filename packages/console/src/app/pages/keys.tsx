import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api.js";
import { messageOf, when } from "../format.js";
import { Notice, Table } from "../ui.js";

interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  toolPatterns: string[];
  rateLimitPerMinute: number | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

const SCOPES = ["tools:list", "tools:call", "metrics:read", "admin"] as const;

/** API keys: create (the key shown once, with a copy button), list with last use, revoke. */
export function KeysPage() {
  const [keys, setKeys] = useState<ApiKey[]>([]);
  const [error, setError] = useState("");
  const [created, setCreated] = useState<{ name: string; plaintext: string } | null>(null);

  const load = useCallback(async () => {
    try {
      setKeys((await api<{ keys: ApiKey[] }>("/admin/keys")).keys);
    } catch (e) {
      setError(messageOf(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const revoke = async (key: ApiKey) => {
    if (!window.confirm(`Revoke ${key.name}? Calls with it are refused from now on.`)) return;
    try {
      await api(`/admin/keys/${encodeURIComponent(key.id)}`, { method: "DELETE" });
      await load();
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title">API keys</h1>
      <Notice kind="error">{error}</Notice>
      <CreateKeyForm
        onCreated={async (name, plaintext) => {
          setCreated({ name, plaintext });
          await load();
        }}
      />
      {created && <RevealOnce {...created} onDone={() => setCreated(null)} />}
      <Table caption="Keys">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Status</th>
            <th scope="col">Prefix</th>
            <th scope="col">Scopes</th>
            <th scope="col">Patterns</th>
            <th scope="col">Limit/min</th>
            <th scope="col">Expires</th>
            <th scope="col">Last used</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((key) => (
            <tr key={key.id} data-key-id={key.id}>
              <td>{key.name}</td>
              <td>
                {key.revokedAt ? (
                  <span class="badge badge-revoked">revoked</span>
                ) : (
                  <button
                    type="button"
                    class="danger"
                    onClick={() => revoke(key)}
                    aria-label={`Revoke ${key.name}`}
                  >
                    Revoke
                  </button>
                )}
              </td>
              <td>
                <code>{key.prefix}</code>
              </td>
              <td>{key.scopes.join(", ")}</td>
              <td>{key.toolPatterns.join(", ") || "*"}</td>
              <td>{key.rateLimitPerMinute ?? "default"}</td>
              <td>{when(key.expiresAt)}</td>
              <td>{when(key.lastUsedAt)}</td>
            </tr>
          ))}
        </tbody>
      </Table>
    </section>
  );
}

function CreateKeyForm(props: { onCreated: (name: string, plaintext: string) => Promise<void> }) {
  const [error, setError] = useState("");
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const name = String(data.get("name") ?? "").trim();
    const patterns = String(data.get("patterns") ?? "")
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean);
    const limit = String(data.get("limit") ?? "").trim();
    const expires = String(data.get("expires") ?? "").trim();
    setError("");
    try {
      const body = {
        name,
        scopes: data.getAll("scopes").map(String),
        ...(patterns.length ? { toolPatterns: patterns } : {}),
        ...(limit ? { rateLimitPerMinute: Number(limit) } : {}),
        ...(expires ? { expiresAt: new Date(`${expires}T23:59:59`).toISOString() } : {}),
      };
      const created = await api<{ plaintext: string }>("/admin/keys", { method: "POST", body });
      form.reset();
      await props.onCreated(name, created.plaintext);
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <details class="panel">
      <summary>Create a key</summary>
      <form onSubmit={submit} class="form-grid">
        <label>
          Name
          <input name="name" required maxLength={100} autocomplete="off" />
        </label>
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.map((scope) => (
            <label class="inline" key={scope}>
              <input type="checkbox" name="scopes" value={scope} defaultChecked={scope.startsWith("tools")} />{" "}
              {scope}
            </label>
          ))}
        </fieldset>
        <label>
          Tool patterns (comma-separated, empty for all)
          <input name="patterns" placeholder="github__*, fs__read_*" autocomplete="off" />
        </label>
        <label>
          Rate limit per minute (empty for the default)
          <input name="limit" type="number" min={1} step={1} />
        </label>
        <label>
          Expires on (empty for never)
          <input name="expires" type="date" />
        </label>
        <div class="form-actions">
          <button type="submit">Create key</button>
        </div>
      </form>
      <Notice kind="error">{error}</Notice>
    </details>
  );
}

function RevealOnce(props: { name: string; plaintext: string; onDone: () => void }) {
  const [copied, setCopied] = useState("");
  const input = useRef<HTMLInputElement>(null);
  // Keyboard and screen-reader users land on the key they must copy now.
  useEffect(() => input.current?.focus(), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.plaintext);
      setCopied("Copied to the clipboard.");
    } catch {
      setCopied("Copying failed: select the key and copy it by hand.");
    }
  };
  return (
    <section class="reveal" aria-label="New key">
      <p>
        <strong>{props.name}</strong>: copy this key now. It is shown once and cannot be shown again.
      </p>
      <div class="reveal-row">
        <input
          ref={input}
          readOnly
          value={props.plaintext}
          aria-label="New API key"
          class="mono"
          onFocus={(e) => e.currentTarget.select()}
        />
        <button type="button" onClick={copy}>
          Copy
        </button>
        <button type="button" onClick={props.onDone}>
          Done
        </button>
      </div>
      <Notice kind="ok">{copied}</Notice>
    </section>
  );
}
