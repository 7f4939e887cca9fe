import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, currentSession, type Session, signIn, useSession } from "./api.js";
import { messageOf } from "./format.js";
import { AuditPage } from "./pages/audit.js";
import { EventsPage } from "./pages/events.js";
import { KeysPage } from "./pages/keys.js";
import { OverviewPage } from "./pages/overview.js";
import { ServersPage } from "./pages/servers.js";
import "./styles.css";
import { Notice } from "./ui.js";

const PAGES = {
  overview: { title: "Overview", Page: OverviewPage },
  servers: { title: "Servers", Page: ServersPage },
  keys: { title: "Keys", Page: KeysPage },
  audit: { title: "Audit log", Page: AuditPage },
  events: { title: "Events", Page: EventsPage },
} as const;
type PageName = keyof typeof PAGES;

function pageFromHash(): PageName {
  const name = window.location.hash.replace(/^#\/?/, "");
  return name in PAGES ? (name as PageName) : "overview";
}

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [message, setMessage] = useState("");
  const [page, setPage] = useState<PageName>(pageFromHash());

  useSession(session ?? null, (why) => {
    setSession(null);
    setMessage(why);
  });
  useEffect(() => {
    currentSession().then(
      (result) => {
        setSession(result.session);
        if (result.message) setMessage(result.message);
      },
      (error) => {
        setSession(null);
        setMessage(messageOf(error));
      },
    );
    const onHash = () => setPage(pageFromHash());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  useEffect(() => {
    document.title = session ? `${PAGES[page].title} · Waygate console` : "Sign in · Waygate console";
  }, [page, session]);

  if (session === undefined) return <p class="muted center">Loading…</p>;
  if (session === null) {
    return (
      <SignIn
        message={message}
        onSignedIn={(s) => {
          setMessage("");
          setSession(s);
        }}
      />
    );
  }
  const { Page } = PAGES[page];
  const signOut = async () => {
    try {
      await api("/console/api/session", { method: "DELETE" });
    } finally {
      setSession(null);
      setMessage("You have signed out.");
    }
  };
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Waygate</span>
        <nav aria-label="Console pages">
          {Object.entries(PAGES).map(([name, { title }]) => (
            <a key={name} href={`#/${name}`} aria-current={name === page ? "page" : undefined}>
              {title}
            </a>
          ))}
        </nav>
        <span class="who">
          <span class="muted">{session.key.name}</span>
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        <Page key={page} />
      </main>
    </>
  );
}

function SignIn(props: { message: string; onSignedIn: (session: Session) => void }) {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    setBusy(true);
    setError("");
    try {
      props.onSignedIn(await signIn(String(data.get("key") ?? "")));
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="sign-in" id="main">
      <h1>Waygate console</h1>
      <form onSubmit={submit} aria-label="Sign in">
        <label>
          Admin API key
          <input
            name="key"
            type="password"
            required
            autocomplete="off"
            spellcheck={false}
            placeholder="wg_…"
          />
        </label>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <Notice kind="info">{props.message}</Notice>
      <Notice kind="error">{error}</Notice>
      <p class="muted">
        Sign in with a key that has the admin scope. Sessions are short-lived (an hour unless the gateway sets
        otherwise).
      </p>
    </main>
  );
}

const root = document.getElementById("root");
if (root) render(<App />, root);
