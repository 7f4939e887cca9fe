// Watches each server's status (as the plugin reports it, and by sampling) and records its crashes and recoveries
// as `upstream.down` / `upstream.recovered` system events.
import type winston from "winston";
import type { Router } from "../routing/router.js";
import type { EventRecorder } from "../system-events.js";
import type { HostPluginStatus } from "./hosted-plugin.js";

/** The crash and recovery record of every server of one gateway. */
export interface StatusWatch {
  /** Takes a server's status now, from the plugin's report or a sample. */
  observe(name: string, status: HostPluginStatus): void;
  /** Forgets a stopped server, so its next start begins afresh. */
  forget(name: string): void;
  /** Ends the periodic sampling. */
  stop(): void;
}

/**
 * Creates the watch, sampling every backend of `router` each `intervalMs` (for plugins that do not report status
 * changes). `onStateChange` hears each server's first state (`previous` undefined) and every change after.
 */
export function createStatusWatch(options: {
  router: Router;
  logger: winston.Logger;
  recordEvent: EventRecorder;
  onStateChange: (name: string, status: HostPluginStatus, previous: string | undefined) => void;
  intervalMs?: number;
}): StatusWatch {
  /** Per server: the last status seen, and whether an `upstream.down` awaits its `upstream.recovered`. */
  const lastSeen = new Map<string, { state: string; restarts: number; down: boolean }>();

  /**
   * Compares a status with the last one seen and records crashes and recoveries. A restart count that went
   * up counts as a crash even when the state is "ready" again by now (a crash between two samples).
   */
  const observe = (name: string, status: HostPluginStatus) => {
    const before = lastSeen.get(name);
    const now = { state: status.state, restarts: status.restarts, down: before?.down ?? false };
    lastSeen.set(name, now);
    if (before?.state !== status.state) options.onStateChange(name, status, before?.state);
    if (!before) return;
    const restarted = status.restarts > before.restarts;
    const wentDown =
      before.state === "ready" &&
      (status.state === "failed" || status.state === "degraded" || status.state === "connecting");
    if (!now.down && (wentDown || restarted)) {
      now.down = true;
      const lastError = status.lastError?.message;
      const what = wentDown
        ? `went from ready to ${status.state}`
        : `crashed and was restarted (${status.restarts - before.restarts} restart(s) since the last check)`;
      options.logger.error("server down", { server: name, state: status.state, lastError });
      void options.recordEvent({
        level: "error",
        type: "upstream.down",
        message: `Server '${name}' ${what}`,
        details: { server: name, state: status.state, restarts: status.restarts, lastError },
      });
    }
    if (now.down && status.state === "ready") {
      now.down = false;
      options.logger.info("server recovered", { server: name });
      void options.recordEvent({
        level: "info",
        type: "upstream.recovered",
        message: `Server '${name}' is ready again`,
        details: { server: name, restarts: status.restarts },
      });
    }
  };

  const timer = setInterval(() => {
    for (const backend of options.router.backends()) observe(backend.name, backend.plugin.getStatus());
  }, options.intervalMs ?? 2000);
  timer.unref();

  return {
    observe,
    forget: (name) => lastSeen.delete(name),
    stop: () => clearInterval(timer),
  };
}
