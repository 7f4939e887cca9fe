import type winston from "winston";
import type { EventRecorder } from "../system-events.js";
import type { ServerManager } from "../upstreams/server-manager.js";
import type { Router } from "./router.js";

/**
 * Logs and records each tool-name collision once, so an operator learns about it at load, not from a user: after
 * the first start of every server, and whenever a server's tool list changes.
 */
export function reportCollisions(
  router: Router,
  servers: ServerManager,
  logger: winston.Logger,
  recordEvent: EventRecorder,
): void {
  const reported = new Set<string>();
  const report = async () => {
    const { collisions } = await router.listTools({ kind: "aggregate" });
    for (const collision of collisions) {
      const id = JSON.stringify(collision);
      if (reported.has(id)) continue;
      reported.add(id);
      logger.warn("tool name collision", { ...collision });
      await recordEvent({
        level: "warn",
        type: "naming.collision",
        message: `Tool name '${collision.exposed}' is claimed by ${collision.kept.server}/${collision.kept.original} and ${collision.dropped.server}/${collision.dropped.original}; the second is not reachable under that name`,
        details: { ...collision },
      });
    }
  };
  void servers.settled().then(report);
  router.onListChanged((kind) => {
    if (kind === "tools") void report();
  });
}
