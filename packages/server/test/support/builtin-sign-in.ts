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
