#!/usr/bin/env node
// A browser for mcp-remote without a display: mcp-remote opens the authorization URL through `open` (xdg-open), which
// runs $BROWSER; this script signs in on Waygate's page with the API key in WAYGATE_TEST_API_KEY and then delivers
// the redirect to mcp-remote's local callback server, as a person's browser would.
const start = new URL(process.argv[2]);
const key = process.env.WAYGATE_TEST_API_KEY ?? "";
const cookies = new Map();
const cookieHeader = () => [...cookies].map(([name, value]) => `${name}=${value}`).join("; ");

async function hop(url, init = {}) {
  const response = await fetch(url, {
    ...init,
    redirect: "manual",
    headers: { ...init.headers, cookie: cookieHeader() },
  });
  for (const line of response.headers.getSetCookie()) {
    const [pair = ""] = line.split(";");
    const at = pair.indexOf("=");
    cookies.set(pair.slice(0, at), pair.slice(at + 1));
  }
  return response;
}

/** Follows redirects within the gateway; returns the first URL outside it (the client's callback), or the page. */
async function follow(url, init) {
  let current = url;
  let response = await hop(current, init);
  for (let i = 0; i < 10 && response.status >= 300 && response.status < 400; i++) {
    const next = new URL(response.headers.get("location"), current);
    if (next.origin !== start.origin) return { callback: next };
    current = next;
    response = await hop(current);
  }
  return { page: current, response };
}

const first = await follow(start);
if (first.callback) {
  await fetch(first.callback);
  process.exit(0);
}
const html = await first.response.text();
const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
if (!csrf) {
  console.error(`no sign-in form at ${first.page}: ${html.slice(0, 300)}`);
  process.exit(1);
}
const done = await follow(first.page, {
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded", origin: start.origin },
  body: new URLSearchParams({ csrf, key, action: "allow" }),
});
if (!done.callback) {
  console.error(`the sign-in did not return to the client: ${done.page} HTTP ${done.response.status}`);
  process.exit(1);
}
await fetch(done.callback);
