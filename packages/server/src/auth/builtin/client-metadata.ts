import { isLoopbackHost } from "../../options.js";

/** Largest client metadata document read, in bytes (the draft suggests 5 KB). */
const MAX_DOCUMENT_BYTES = 5 * 1024;
/** How long a fetched document is reused, in milliseconds. */
const CACHE_MS = 5 * 60_000;

/**
 * True when a client id is a Client ID Metadata Document URL (draft-ietf-oauth-client-id-metadata-document): https
 * with a path, no fragment or credentials; plain http only for a loopback host (tests, local tools), which the egress
 * policy still has to allow.
 */
export function isMetadataDocumentUrl(clientId: string): boolean {
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    return false;
  }
  const secure = url.protocol === "https:" || (url.protocol === "http:" && isLoopbackHost(url.hostname));
  return secure && url.pathname !== "/" && !url.hash && !url.username && !url.password;
}

/** Why a document cannot be a client's, or undefined when it can. */
function problemOf(clientId: string, document: Record<string, unknown>): string | undefined {
  if (document.client_id !== clientId) return "its client_id is not the URL it was fetched from";
  if ("client_secret" in document || "client_secret_expires_at" in document)
    return "it holds a client secret";
  const method = document.token_endpoint_auth_method ?? "none";
  if (method !== "none" && method !== "private_key_jwt") {
    return `token_endpoint_auth_method ${String(method)} needs a shared secret`;
  }
  if (!Array.isArray(document.redirect_uris) || document.redirect_uris.length === 0)
    return "it has no redirect_uris";
  return undefined;
}

/**
 * Fetches client metadata documents through the gateway's egress policy (so a client id cannot make the gateway reach
 * its own network), checks them, and keeps each for a few minutes. A document that cannot be read or fails a check is
 * no client: the authorization request fails with invalid_client.
 */
export function clientMetadataDocuments(
  fetchGuarded: (url: string, init?: RequestInit) => Promise<Response>,
  onRefused: (clientId: string, reason: string) => void = () => {},
) {
  const cache = new Map<string, { document: Record<string, unknown> | undefined; until: number }>();
  return async (clientId: string): Promise<Record<string, unknown> | undefined> => {
    const hit = cache.get(clientId);
    if (hit && hit.until > Date.now()) return hit.document;
    let document: Record<string, unknown> | undefined;
    try {
      const response = await fetchGuarded(clientId, {
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(5_000),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const text = await response.text();
      if (Buffer.byteLength(text) > MAX_DOCUMENT_BYTES)
        throw new Error(`larger than ${MAX_DOCUMENT_BYTES} bytes`);
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
        throw new Error("not a JSON object");
      const candidate = parsed as Record<string, unknown>;
      const problem = problemOf(clientId, candidate);
      if (problem) throw new Error(problem);
      document = { token_endpoint_auth_method: "none", ...candidate };
    } catch (error) {
      onRefused(clientId, (error as Error).message);
      document = undefined;
    }
    if (cache.size >= 1_000) cache.delete(cache.keys().next().value as string);
    cache.set(clientId, { document, until: Date.now() + CACHE_MS });
    return document;
  };
}
