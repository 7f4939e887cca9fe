import { useEffect, useState } from "preact/hooks";
import { type OAuthSignIn, oauthSignIn, type Session, signIn } from "./api.js";
import { messageOf } from "./format.js";
import { Notice } from "./ui.js";

/** What the console says for each `signin_error` the gateway's OAuth callback sends it back with. */
const OAUTH_REFUSALS: Record<string, string> = {
  no_sign_in:
    "OAuth sign-in refused: it was not started in this browser, or took longer than 10 minutes. Start it again.",
  state_mismatch:
    "OAuth sign-in refused: the answer does not belong to this browser's sign-in (state mismatch). Start it again.",
  wrong_issuer:
    "OAuth sign-in refused: the answer came from another issuer than the gateway's. Start it again.",
  issuer_refused: "OAuth sign-in cancelled or refused at the issuer.",
  code_refused:
    "OAuth sign-in refused: the issuer did not accept the authorization code (already used or expired). Start it again.",
  token_refused:
    "OAuth sign-in refused: the gateway did not accept the access token (its audience, issuer or signature). Check the gateway's oauth settings.",
  not_admin:
    "Signed in, but without the admin scope: the console needs an admin key or an OAuth grant of admin (there is no read-only console).",
  issuer_unavailable:
    "OAuth sign-in failed: the issuer could not be reached. Try again, or sign in with an admin key.",
  rate_limited: "Too many failed sign-ins from this address: wait and try again.",
};

/** The message of a refused OAuth sign-in in the URL (then removed from it), or "". */
export function takeSignInError(): string {
  const params = new URLSearchParams(window.location.search);
  const reason = params.get("signin_error");
  if (reason === null) return "";
  window.history.replaceState(null, "", `${window.location.pathname}${window.location.hash}`);
  return OAUTH_REFUSALS[reason] ?? "OAuth sign-in refused.";
}

/** The sign-in page: an admin key, or the OAuth issuer when the gateway has one. */
export function SignIn(props: { message: string; refusal?: string; onSignedIn: (session: Session) => void }) {
  const [error, setError] = useState(props.refusal ?? "");
  const [busy, setBusy] = useState(false);
  const [oauth, setOAuth] = useState<OAuthSignIn | null>(null);
  useEffect(() => {
    oauthSignIn().then(setOAuth, () => setOAuth(null));
  }, []);
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
      {oauth && (
        <p class="oauth">
          <a class="button" href={oauth.start}>
            {oauth.builtin ? "Sign in with OAuth" : `Sign in with ${new URL(oauth.issuer).host}`}
          </a>
        </p>
      )}
      <Notice kind="info">{props.message}</Notice>
      <Notice kind="error">{error}</Notice>
      <p class="muted">
        Sign in with a key that has the admin scope{oauth ? ", or through the gateway's OAuth issuer" : ""}.
        Sessions are short-lived (an hour unless the gateway sets otherwise).
      </p>
    </main>
  );
}
