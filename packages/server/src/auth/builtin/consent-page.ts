import { createHash } from "node:crypto";
import type { Response } from "express";

/** What the sign-in page shows. */
export interface ConsentPage {
  uid: string;
  csrf: string;
  clientName: string;
  scopes: readonly string[];
  resource: string;
  /** The web console signing an operator in: it asks for an admin key, not for token scopes. */
  operator?: boolean;
  /** A refusal to show above the form (a wrong key, too many attempts). */
  problem?: string;
  /** Where the browser is sent at the end (the client's redirect URI): the CSP's `form-action` must allow it. */
  redirectUri?: string;
}

const STYLE =
  "body{font:16px system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}" +
  "input[type=password]{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}" +
  "button{padding:.5rem 1rem;font:inherit;margin:1rem .5rem 0 0}.problem{color:#a40000}code{font-size:.9em}";
const STYLE_HASH = `'sha256-${createHash("sha256").update(STYLE).digest("base64")}'`;

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The CSP `form-action` source of a redirect URI: its origin (http/https), or its scheme (a native app's). */
function formActionSource(redirectUri: string | undefined): string {
  if (!redirectUri) return "";
  try {
    const url = new URL(redirectUri);
    return url.protocol === "http:" || url.protocol === "https:" ? ` ${url.origin}` : ` ${url.protocol}`;
  } catch {
    return "";
  }
}

/**
 * Sends the sign-in page: a form that posts an API key back to the same URL, with a CSRF token, no script at all, one
 * hashed style, and a CSP that allows nothing else (no frames, no other form targets but the client's redirect).
 */
export function sendConsentPage(res: Response, page: ConsentPage, status = 200): void {
  res.status(status);
  res.set({
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    // Not `no-referrer`: under it browsers send `Origin: null` with the form, which the origin check must refuse.
    // `same-origin` gives the form its real Origin and still sends nothing to the client's redirect URI.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": `default-src 'none'; style-src ${STYLE_HASH}; form-action 'self'${formActionSource(page.redirectUri)}; frame-ancestors 'none'; base-uri 'none'`,
  });
  const scopes = page.scopes.map((scope) => `<li><code>${escapeHtml(scope)}</code></li>`).join("");
  res.send(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in to Waygate</title><style>${STYLE}</style></head>
<body><h1>Sign in to Waygate</h1>
${
  page.operator
    ? `<p><strong>Waygate console</strong> asks you to sign in as an operator.</p>
<p>Enter a Waygate API key with the admin scope. The console acts as that key until you sign out, the session ends or the key is revoked; the key itself is not kept.</p>`
    : `<p><strong>${escapeHtml(page.clientName)}</strong> asks to use this gateway (<code>${escapeHtml(page.resource)}</code>) with:</p>
<ul>${scopes}</ul>
<p>Enter a Waygate API key. The client gets that key's permissions (at most), and loses them when the key is revoked. The key itself is not given to the client.</p>`
}
${page.problem ? `<p class="problem" role="alert">${escapeHtml(page.problem)}</p>` : ""}
<form method="post" action="/oauth/interaction/${encodeURIComponent(page.uid)}" autocomplete="off">
<input type="hidden" name="csrf" value="${escapeHtml(page.csrf)}">
<label for="key">API key</label>
<input type="password" id="key" name="key" required autofocus placeholder="wg_…">
<button type="submit" name="action" value="allow">Allow</button>
<button type="submit" name="action" value="deny" formnovalidate>Deny</button>
</form></body></html>`);
}

/** Sends a short page for a sign-in that cannot go on (expired, forged), in the same CSP. */
export function sendSignInProblem(res: Response, status: number, message: string): void {
  res.status(status);
  res.set({
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Content-Security-Policy": `default-src 'none'; style-src ${STYLE_HASH}; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
  });
  res.send(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to Waygate</title><style>${STYLE}</style></head>
<body><h1>Sign in to Waygate</h1><p class="problem" role="alert">${escapeHtml(message)}</p></body></html>`);
}
