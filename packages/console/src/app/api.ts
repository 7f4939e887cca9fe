/** The signed-in operator, as `GET /console/api/session` answers. */
export interface Session {
  key: { id: string; name: string };
  csrfToken: string;
  expiresAt: string;
}

/** An error the gateway answered with: its HTTP status and the message that names the fix. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken = "";
let onSignedOut: (message: string) => void = () => {};

/** Remembers the CSRF token of the session and what to do when the gateway ends it (401). */
export function useSession(session: Session | null, signedOut: (message: string) => void): void {
  csrfToken = session?.csrfToken ?? "";
  onSignedOut = signedOut;
}

async function errorOf(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as { error?: { message?: string } };
    return new ApiError(response.status, body.error?.message ?? `${response.status} ${response.statusText}`);
  } catch {
    return new ApiError(response.status, `${response.status} ${response.statusText}`);
  }
}

/** Calls the gateway's API with the session cookie (and the CSRF token on changes); 401 goes back to sign-in. */
export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const method = init.method ?? "GET";
  const headers: Record<string, string> = { accept: "application/json" };
  if (method !== "GET") headers["x-csrf-token"] = csrfToken;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401 && !path.startsWith("/console/api/session")) onSignedOut(error.message);
    throw error;
  }
  return (await response.json()) as T;
}

/** Signs in with an admin key; the gateway sets the session cookie. */
export async function signIn(key: string): Promise<Session> {
  const response = await fetch("/console/api/session", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    credentials: "same-origin",
    body: JSON.stringify({ key }),
  });
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as Session;
}

/** The gateway's OAuth sign-in for the console, when it has an issuer. */
export interface OAuthSignIn {
  issuer: string;
  builtin: boolean;
  start: string;
}

/** The OAuth sign-in on offer, or null when the gateway has no issuer (or no client id for the console there). */
export async function oauthSignIn(): Promise<OAuthSignIn | null> {
  const response = await fetch("/console/api/oauth", { credentials: "same-origin" });
  return response.ok ? ((await response.json()) as OAuthSignIn) : null;
}

/** The current session, or null when there is none (or it was refused: the message says why). */
export async function currentSession(): Promise<{ session: Session | null; message?: string }> {
  const response = await fetch("/console/api/session", { credentials: "same-origin" });
  if (response.ok) return { session: (await response.json()) as Session };
  const error = await errorOf(response);
  return { session: null, ...(error.message.startsWith("Not signed in") ? {} : { message: error.message }) };
}

/** A query string from the filled-in fields of a filter. */
export function queryString(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
