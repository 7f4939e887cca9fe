/** A JSON-RPC request in a POST body: what the rate limit charges and a refusal audits. */
export interface BodyRequest {
  method: string;
  /** What the request names (a tool or prompt name, a resource URI), when it names one. */
  name: string | null;
  arguments: unknown;
}

/**
 * The JSON-RPC requests of a body (one message or a batch): messages with a method and an id. Notifications and
 * responses are not requests, so they neither cost a rate-limit unit nor get an audit row.
 */
export function requestsOf(body: unknown): BodyRequest[] {
  const messages: unknown[] = Array.isArray(body) ? body : [body];
  const requests: BodyRequest[] = [];
  for (const message of messages) {
    if (typeof message !== "object" || message === null) continue;
    const { method, id, params } = message as { method?: unknown; id?: unknown; params?: unknown };
    if (typeof method !== "string" || id === undefined || id === null) continue;
    const p = (typeof params === "object" && params !== null ? params : {}) as Record<string, unknown>;
    const ref = (typeof p.ref === "object" && p.ref !== null ? p.ref : {}) as Record<string, unknown>;
    const named = [p.name, p.uri, ref.name, ref.uri].find((value) => typeof value === "string");
    requests.push({
      method,
      name: (named as string | undefined) ?? null,
      arguments: method === "tools/call" || method === "prompts/get" ? p.arguments : undefined,
    });
  }
  return requests;
}
