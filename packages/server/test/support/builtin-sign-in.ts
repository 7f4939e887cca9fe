import { createServer as createHttpServer } from "node:http";
import { type AddressInfo, createServer } from "node:net";
import type { OAuthClientProvider } from "@modelcontextprotocol/client";

type Provider = OAuthClientProvider;
type Tokens = Parameters<Provider["saveTokens"]>[0];
type ClientInfo = Parameters<NonNullable<Provider["saveClientInformation"]>>[0];

/** The SDK v2 client's OAuth provider, kept in memory; it remembers where it was sent to sign in. */
export class MemoryAuthProvider implements OAuthClientProvider {
  readonly redirectUrl = "http://127.0.0.1:9/callback";
  client: ClientInfo | undefined;
  saved: Tokens | undefined;
  verifier = "";
  authorizationUrl: URL | undefined;
  get clientMetadata() {
    return {
      client_name: "waygate built-in flow test",
      redirect_uris: [this.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  clientInformation() {
    return this.client;
  }
  saveClientInformation(info: ClientInfo) {
    this.client = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: Tokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}

/** A port free now, so the gateway's public URL (its resource identifiers) can be its real loopback URL. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A browser's cookie jar for one sign-in, enough for the built-in authorization server's cookies. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
  keep(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const at = pair.indexOf("=");
      this.cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
  }
}

/** Follows redirects as a browser would (keeping cookies) until `stop` matches a URL or a page answers. */
export async function follow(
  start: string,
  jar: CookieJar,
  stop: (url: URL) => boolean,
  init: RequestInit = {},
): Promise<{ url: URL; response: Response }> {
  let url = new URL(start);
  let request: RequestInit = init;
  for (let hop = 0; hop < 10; hop++) {
    const response = await fetch(url, {
      ...request,
      redirect: "manual",
      headers: { ...(request.headers as Record<string, string>), cookie: jar.header() },
    });
    jar.keep(response);
    const location = response.headers.get("location");
    if (!location || response.status < 300 || response.status > 399) return { url, response };
    url = new URL(location, url);
    if (stop(url)) return { url, response };
    request = {};
  }
  throw new Error(`more than 10 redirects from ${start}`);
}

/** The sign-in page a browser lands on for an authorization URL, with its form's CSRF token. */
export async function openSignIn(authorizationUrl: URL | string, jar = new CookieJar()) {
  const { url, response } = await follow(String(authorizationUrl), jar, () => false);
  const html = await response.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  return { jar, url, response, html, csrf };
}

/** Posts the sign-in form (as the page would, from the gateway's origin); returns where the browser ends up. */
export async function submitSignIn(
  page: { jar: CookieJar; url: URL; csrf?: string | undefined },
  fields: { key?: string; action?: string; csrf?: string },
  stop: (url: URL) => boolean,
  origin: string | undefined = page.url.origin,
) {
  const body = new URLSearchParams({
    csrf: fields.csrf ?? page.csrf ?? "",
    key: fields.key ?? "",
    action: fields.action ?? "allow",
  });
  return follow(page.url.href, page.jar, stop, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      ...(origin ? { origin } : {}),
    },
    body,
  });
}

/**
 * The scripted sign-in of the built-in authorization server: opens the authorization URL, enters `apiKey` on the
 * sign-in page, and follows the redirects back to the client; returns the callback's parameters (`code`, `iss`).
 */
export async function signInWithKey(authorizationUrl: URL | string, apiKey: string, redirectUrl: string) {
  const page = await openSignIn(authorizationUrl);
  if (!page.csrf)
    throw new Error(`no sign-in form at ${page.url}: HTTP ${page.response.status} ${page.html}`);
  const done = await submitSignIn(page, { key: apiKey }, (url) => url.href.startsWith(redirectUrl));
  if (!done.url.searchParams.get("code")) {
    throw new Error(
      `the sign-in did not return a code: ${done.url} HTTP ${done.response.status} ${await done.response.text()}`,
    );
  }
  return done.url.searchParams;
}

const pkcePair = async () => {
  const verifier = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return { verifier, challenge: Buffer.from(digest).toString("base64url") };
};

/** A client registered at the built-in server (RFC 7591), public, with one loopback redirect URI. */
export async function registerClient(base: string, extra: Record<string, unknown> = {}) {
  const response = await fetch(`${base}/oauth/reg`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_name: "waygate test client",
      redirect_uris: [REDIRECT],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      ...extra,
    }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status !== 201) throw new Error(`registration refused: ${JSON.stringify(body)}`);
  return String(body.client_id);
}

/** Where the test clients are sent back to (never contacted: the scripted browser stops at it). */
export const REDIRECT = "http://127.0.0.1:9/callback";

/** An authorization URL with PKCE S256 for `resource`, and the verifier that goes with it. */
export async function authorizationUrl(
  base: string,
  clientId: string,
  params: Record<string, string> = {},
): Promise<{ url: URL; verifier: string }> {
  const { verifier, challenge } = await pkcePair();
  const url = new URL(`${base}/oauth/auth`);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: REDIRECT,
    code_challenge: challenge,
    code_challenge_method: "S256",
    scope: "waygate:tools:list waygate:tools:call",
    resource: `${base}/mcp`,
    state: "state-1",
    ...params,
  }).toString();
  return { url, verifier };
}

/** Posts to the token endpoint as a public client. */
export async function tokenRequest(base: string, fields: Record<string, string>) {
  const response = await fetch(`${base}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

/** Registers, signs in with `apiKey` and redeems the code: the tokens a client would hold. */
export async function obtainTokens(base: string, apiKey: string, params: Record<string, string> = {}) {
  const clientId = await registerClient(base);
  const { url, verifier } = await authorizationUrl(base, clientId, params);
  const callback = await signInWithKey(url, apiKey, REDIRECT);
  const { status, body } = await tokenRequest(base, {
    grant_type: "authorization_code",
    code: callback.get("code") ?? "",
    redirect_uri: REDIRECT,
    code_verifier: verifier,
    client_id: clientId,
    resource: params.resource ?? `${base}/mcp`,
  });
  if (status !== 200) throw new Error(`token request refused: ${JSON.stringify(body)}`);
  return { clientId, accessToken: body.access_token ?? "", refreshToken: body.refresh_token ?? "" };
}

/** Serves one client metadata document on loopback, as a client's website would. */
export async function documentServer(document: (url: string) => Record<string, unknown>) {
  const server = createHttpServer((req, res) => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${req.url}`;
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(document(url)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/client.json`;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
