import type { Store } from "../store.js";

/** The system event the `waygate servers` CLI records beside each change it writes to `mcp_servers`. */
export const SERVER_CHANGED_EVENT = "server.changed";

/**
 * Who changed stored servers that this replica did not change itself: "the CLI" when the CLI recorded a
 * `server.changed` event naming the server since `since`, otherwise "another replica" (its admin API is the only
 * other writer). Read once per sync that found a change, never on the quiet path.
 */
export async function storedChangeSources(
  store: Store,
  since: number,
): Promise<(server: string) => "the CLI" | "another replica"> {
  const byCli = new Set<string>();
  const events = await store.repos.systemEvents
    .list({ type: SERVER_CHANGED_EVENT, limit: 100 })
    .catch(() => null);
  for (const event of events?.items ?? []) {
    const details = event.details as { servers?: unknown; source?: unknown } | null;
    if (event.at.getTime() < since || details?.source !== "cli" || !Array.isArray(details.servers)) continue;
    for (const server of details.servers) byCli.add(String(server));
  }
  return (server) => (byCli.has(server) ? "the CLI" : "another replica");
}
