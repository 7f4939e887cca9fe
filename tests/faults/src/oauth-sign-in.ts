/** The client side of the built-in authorization server, scripted as an MCP client and a person's browser would. */

const REDIRECT = "http://127.0.0.1:9/callback";

async function pkce() {
  const verifier = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return { verifier, challenge: Buffer.from(digest).toString("base64url") };
}

async function form(url: string, fields: Record<string, string>) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields),
  });
  return {
    status: response.status,
    body: (await response.json().catch(() => ({}))) as Record<string, string>,
  };
}

/** A browser: each hop is one request (no redirect followed), with the cookies it was given so far. */
export function browser(): (url: string, init?: RequestInit) => Promise<Response> {
  const cookies = new Map<string, string>();
  return async (url, init = {}) => {
    const response = await fetch(url, {
      ...init,
      redirect: "manual",
      headers: {
        ...(init.headers as Record<string, string>),
        cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join("; "),
      },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      cookies.set(pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1));
    }
    return response;
  };
}

/**
 * Opens `start` in the browser, follows redirects to the built-in authorization server's sign-in page, signs in there
 * with `apiKey` (the form posted from the server at `base`), and follows redirects until `stop` matches a URL, which
 * it returns without opening; undefined when a page answers first.
 */
export async function signInOnPage(
  hop: ReturnType<typeof browser>,
  start: string,
  apiKey: string,
  base: string,
  stop: (url: string) => boolean,
): Promise<string | undefined> {
  let url = start;
  let response = await hop(url);
  while (response.status >= 300 && response.status < 400) {
    url = new URL(response.headers.get("location") ?? "", url).href;
    response = await hop(url);
  }
  const csrf = /name="csrf" value="([^"]+)"/.exec(await response.text())?.[1] ?? "";
  response = await hop(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: new URL(base).origin },
    body: new URLSearchParams({ csrf, key: apiKey, action: "allow" }),
  });
  while (response.status >= 300 && response.status < 400) {
    url = new URL(response.headers.get("location") ?? "", url).href;
    if (stop(url)) return url;
    response = await hop(url);
  }
  return undefined;
}

/** Everything secret a sign-in produced: the code, its verifier, and the tokens. */
export interface SignedIn {
  clientId: string;
  code: string;
  verifier: string;
  accessToken: string;
  refreshToken: string;
}

/** Registers a client, signs in with `apiKey` on the sign-in page (cookies kept), and redeems the code. */
export async function signInWithApiKey(base: string, apiKey: string): Promise<SignedIn> {
  const registered = await fetch(`${base}/oauth/reg`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
    }),
  });
  const clientId = String(((await registered.json()) as { client_id?: string }).client_id);
  const { verifier, challenge } = await pkce();
  const authorize = new URL(`${base}/oauth/auth`);
  authorize.search = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: REDIRECT,
    code_challenge: challenge,
    code_challenge_method: "S256",
    scope: "waygate:tools:list waygate:tools:call",
    resource: `${base}/mcp`,
  }).toString();
  const back = await signInOnPage(browser(), authorize.href, apiKey, base, (url) => url.startsWith(REDIRECT));
  const code = back ? (new URL(back).searchParams.get("code") ?? "") : "";
  if (!code) throw new Error("the sign-in returned no code");
  const tokens = await form(`${base}/oauth/token`, {
    grant_type: "authorization_code",
    code,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
    client_id: clientId,
    resource: `${base}/mcp`,
  });
  if (tokens.status !== 200) throw new Error(`token request refused: ${JSON.stringify(tokens.body)}`);
  return {
    clientId,
    code,
    verifier,
    accessToken: tokens.body.access_token ?? "",
    refreshToken: tokens.body.refresh_token ?? "",
  };
}

/** Redeems a refresh token; returns the new tokens. */
export async function refresh(base: string, clientId: string, refreshToken: string) {
  const tokens = await form(`${base}/oauth/token`, {
    grant_type: "refresh_token",
    refresh_token: refreshToken,
    client_id: clientId,
  });
  if (tokens.status !== 200) throw new Error(`refresh refused: ${JSON.stringify(tokens.body)}`);
  return { accessToken: tokens.body.access_token ?? "", refreshToken: tokens.body.refresh_token ?? "" };
}

/** Revokes a token at the revocation endpoint (RFC 7009). */
export async function revoke(base: string, clientId: string, token: string): Promise<number> {
  return (await form(`${base}/oauth/token/revocation`, { token, client_id: clientId })).status;
}
