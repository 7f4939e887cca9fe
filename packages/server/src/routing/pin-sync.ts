import type { DefinitionPinsRepository, PinKind } from "@waygate/core";
import type winston from "winston";
import { startPolling } from "../polling.js";
import type { HostListChangedKind } from "../upstreams/hosted-plugin.js";
import type { Router } from "./router.js";

/** The router's list that holds each kind of pinned definition. */
export const LIST_OF_KIND: Record<PinKind, HostListChangedKind> = {
  tool: "tools",
  prompt: "prompts",
  resource_template: "resources",
};

/** Reloads a server's lists (re-checking their pins) and tells its clients that they changed. */
export function reloadPinnedLists(router: Router, server: string, kinds: readonly PinKind[]): void {
  if (!router.get(server)) return;
  for (const list of new Set(kinds.map((kind) => LIST_OF_KIND[kind]))) router.notifyListChanged(list, server);
}

/**
 * Watches the pins table for approvals and rejections made elsewhere (the CLI, another replica's admin API) and
 * reloads the lists of the servers they touched, so every replica serves what the database says. Returns `stop`.
 */
export function startPinSync(options: {
  pins: DefinitionPinsRepository;
  router: Router;
  logger: winston.Logger;
  intervalMs: number;
}): () => void {
  let latest: number | undefined;
  const poll = async () => {
    if (latest === undefined) {
      latest = (await options.pins.changedSince(0)).latest;
      return;
    }
    const changed = await options.pins.changedSince(latest);
    latest = Math.max(latest, changed.latest);
    for (const server of changed.servers) {
      reloadPinnedLists(options.router, server, ["tool", "prompt", "resource_template"]);
    }
  };
  return startPolling({
    run: poll,
    everyMs: options.intervalMs,
    logger: options.logger,
    failure: "could not read definition pin changes; retrying",
    immediately: true,
  }).stop;
}
