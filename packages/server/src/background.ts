import type { McpServerRecord } from "@waygate/core";
import type winston from "winston";
import { startAuditRetention } from "./audit-retention.js";
import type { Exclusive } from "./mutex.js";
import type { GatewayOptions } from "./options.js";
import { reportCollisions } from "./routing/collision-report.js";
import { startPinSync } from "./routing/pin-sync.js";
import type { Router } from "./routing/router.js";
import type { RuntimeSettings } from "./runtime-settings.js";
import type { Store } from "./store.js";
import type { EventRecorder } from "./system-events.js";
import type { ServerManager } from "./upstreams/server-manager.js";
import { startServerSync } from "./upstreams/server-sync.js";
import type { StoredServers } from "./upstreams/start-servers.js";

/**
 * Starts what keeps a running gateway in step with its database and settings: live settings, the stored-server sync
 * (servers added, changed or removed by another replica or the CLI), pin approvals, audit retention, and the
 * collision report. `stop()` ends every loop; the runtime settings' own poll is stopped by its owner.
 */
export function startBackgroundWork(deps: {
  options: GatewayOptions;
  store: Store;
  settings: RuntimeSettings;
  router: Router;
  servers: ServerManager;
  logger: winston.Logger;
  recordEvent: EventRecorder;
  serverChanges: Exclusive;
  stored: StoredServers;
  storedAtStart: McpServerRecord[];
}): { stop(): void } {
  const { options, store, router, logger } = deps;
  deps.settings.onChange((key, value) => {
    if (key === "log.level") logger.level = String(value);
    if (key === "pinning.mode") relistAll(router);
  });
  const serverSync = options.loadStoredServers
    ? startServerSync({
        store,
        servers: deps.servers,
        logger,
        intervalMs: options.timeouts.serverSyncMs,
        initial: deps.storedAtStart,
        ignores: deps.stored.ignores,
        addStored: deps.stored.add,
        exclusive: deps.serverChanges,
      })
    : undefined;
  const { retainDays, pruneEveryMs } = options.audit;
  const stopRetention =
    retainDays === undefined
      ? undefined
      : startAuditRetention({
          history: store.repos.commandHistory,
          logger,
          retainDays,
          everyMs: pruneEveryMs,
        });
  // Approvals made through the CLI or another replica reach this replica's lists within serverSyncMs.
  const stopPinSync = startPinSync({
    pins: store.repos.definitionPins,
    router,
    logger,
    intervalMs: options.timeouts.serverSyncMs,
  });
  reportCollisions(router, deps.servers, logger, deps.recordEvent);
  return {
    stop() {
      serverSync?.stop();
      stopRetention?.();
      stopPinSync();
    },
  };
}

/** Lists are filtered by the pinning mode: rebuilds every server's lists and tells clients they changed. */
export function relistAll(router: Router): void {
  for (const backend of router.backends()) {
    router.invalidate(backend.name);
    router.notifyListChanged("tools", backend.name);
  }
}
