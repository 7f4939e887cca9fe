import type { McpServerRecord } from "@waygate/core";
import type winston from "winston";
import type { Exclusive } from "../mutex.js";
import { startPolling } from "../polling.js";
import type { Store } from "../store.js";
import { storedChangeSources } from "./change-source.js";
import type { ServerManager } from "./server-manager.js";

/** Keeps this replica's stored servers in step with the database when another replica changes them. */
export interface ServerSync {
  /** Checks the change marker once and applies what changed; never throws. */
  syncNow(): Promise<void>;
  stop(): void;
}

/** What the sync needs from the gateway. */
export interface ServerSyncOptions {
  store: Store;
  servers: ServerManager;
  logger: winston.Logger;
  intervalMs: number;
  /** The stored servers the gateway loaded at start (their config is the baseline). */
  initial: McpServerRecord[];
  /** Stored servers this replica leaves alone, as at start (shadowed by a configured one, or not selected). */
  ignores(name: string): boolean;
  /** Registers a stored server with the manager (started when enabled). */
  addStored(record: McpServerRecord): void;
  /** The lock the admin API holds while it changes servers, so the sync never acts on a half-made change. */
  exclusive: Exclusive;
}

// count, newest update and enabled count change with every add, remove, enable, disable or config change.
const MARKER_SQL =
  "SELECT count(*) || ':' || coalesce(max(updated_at), 0) || ':' || coalesce(sum(enabled), 0) FROM mcp_servers";

/**
 * Polls a cheap marker of the `mcp_servers` table every `intervalMs`; when it moves, reads the table and makes
 * this replica's stored servers match it (added, removed, enabled, disabled, reconfigured), so changes made
 * through another replica's admin API start or stop the upstream here too. Runs under the admin API's lock.
 */
export function startServerSync(options: ServerSyncOptions): ServerSync {
  const known = new Map(options.initial.map((r) => [r.config.name, fingerprint(r)]));
  let marker: string | undefined;
  let stopped = false;
  // Changes the CLI recorded since this time are logged as the CLI's (the first sync looks back a minute).
  let lastSync = Date.now() - 60_000;

  const readMarker = async () => {
    const result = await options.store.db.client.execute(MARKER_SQL);
    return String(result.rows[0]?.[0] ?? "");
  };

  async function apply(): Promise<void> {
    const current = await readMarker();
    if (current === marker || stopped) return;
    const since = lastSync;
    lastSync = Date.now();
    let sourceOf: ((server: string) => string) | undefined;
    const through = async (server: string) => {
      sourceOf ??= await storedChangeSources(options.store, since - 1_000);
      return sourceOf(server);
    };
    const records = await options.store.repos.mcpServers.listWithSecrets();
    if (stopped) return;
    const specs = new Map(options.servers.specs().map((s) => [s.spec.name, s]));
    const seen = new Set<string>();
    for (const record of records) {
      const name = record.config.name;
      seen.add(name);
      if (options.ignores(name)) continue;
      const print = fingerprint(record);
      const before = known.get(name);
      known.set(name, print);
      const local = specs.get(name);
      if (local && local.spec.origin !== "database") continue;
      if (!local || (before !== undefined && !sameConfig(before, print))) {
        if (local) await options.servers.remove(name);
        options.addStored(record);
        const source = await through(name);
        options.logger.info(`server added or changed through ${source}; applied here`, {
          server: name,
          source,
        });
      } else if (record.config.enabled !== local.enabled) {
        if (record.config.enabled) await options.servers.enable(name);
        else await options.servers.disable(name);
        const source = await through(name);
        options.logger.info(
          `server ${record.config.enabled ? "enabled" : "disabled"} through ${source}; applied here`,
          {
            server: name,
            enabled: record.config.enabled,
            source,
          },
        );
      }
    }
    for (const [name, local] of specs) {
      if (seen.has(name) || local.spec.origin !== "database") continue;
      known.delete(name);
      await options.servers.remove(name);
      const source = await through(name);
      options.logger.info(`server removed through ${source}; stopped here`, { server: name, source });
    }
    marker = current;
  }

  // The first tick compares the whole table with what was loaded at start, so nothing changed meanwhile is missed.
  const polling = startPolling({
    run: () => options.exclusive(apply),
    everyMs: options.intervalMs,
    logger: options.logger,
    failure: "server sync failed; retrying",
  });
  return {
    syncNow: polling.now,
    stop() {
      stopped = true;
      polling.stop();
    },
  };
}

function fingerprint(record: McpServerRecord): string {
  const { enabled, ...config } = record.config;
  return `${enabled ? 1 : 0}|${JSON.stringify(config)}`;
}

function sameConfig(a: string, b: string): boolean {
  return a.slice(2) === b.slice(2);
}
