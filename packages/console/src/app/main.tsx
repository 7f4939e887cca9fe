import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, currentSession, type Session, useSession } from "./api.js";
import { messageOf } from "./format.js";
import { AuditPage } from "./pages/audit.js";
import { EventsPage } from "./pages/events.js";
import { KeysPage } from "./pages/keys.js";
import { OverviewPage } from "./pages/overview.js";
import { ServersPage } from "./pages/servers.js";
import { SignIn, takeSignInError } from "./sign-in.js";
import "./styles.css";

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
  // An OAuth sign-in that was refused comes back with its reason in the URL.
  const [refusal, setRefusal] = useState(takeSignInError);
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
        refusal={refusal}
        onSignedIn={(s) => {
          setMessage("");
          setRefusal("");
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

const root = document.getElementById("root");
if (root) render(<App />, root);
