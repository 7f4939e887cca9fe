import { createHash } from "node:crypto";
import type { DefinitionPinsRepository, PinChange, PinKind, PinRecord } from "@waygate/core";
import canonicalize from "canonicalize";
import type winston from "winston";
import { GatewayError } from "../errors/errors.js";
import type { GatewayMetrics } from "../metrics.js";
import type { EventRecorder } from "../system-events.js";
import { NAME_SEPARATOR, namespacedName } from "./naming.js";

/** `strict` hides new and changed definitions until approved; `warn` serves them flagged; `off` does not pin. */
export type PinningMode = "strict" | "warn" | "off";

/** `_meta` key on a definition served in `warn` mode while its change awaits approval. */
export const PIN_META_KEY = "io.waygate/pin";

/** The fields of a definition that are pinned: what a model reads and what shapes its calls. */
const PINNED_FIELDS: Record<PinKind, readonly string[]> = {
  tool: ["name", "title", "description", "inputSchema", "outputSchema", "annotations"],
  prompt: ["name", "title", "description", "arguments"],
  resource_template: ["name", "title", "description", "uriTemplate", "mimeType", "annotations"],
};

/** The pinned part of a definition and its hash (SHA-256 of its RFC 8785 canonical JSON). */
export function pinnedDefinition(
  kind: PinKind,
  item: Record<string, unknown>,
): { definition: object; hash: string } {
  const definition = Object.fromEntries(
    PINNED_FIELDS[kind].filter((field) => item[field] !== undefined).map((field) => [field, item[field]]),
  );
  const hash = createHash("sha256")
    .update(canonicalize(definition) ?? "")
    .digest("hex");
  return { definition, hash };
}

/** A definition that may not be served, and why. */
interface Blocked {
  pin: PinRecord;
}

/** Settings of the pin guard. */
export interface PinGuardOptions {
  pins: DefinitionPinsRepository;
  modeOf(server: string): PinningMode;
  metrics: GatewayMetrics;
  logger: winston.Logger;
  recordEvent: EventRecorder;
}

/** Checks every list a backend serves against its pins, and refuses calls to definitions awaiting approval. */
export interface PinGuard {
  /** What of a freshly loaded list may be served: strict hides unapproved definitions, warn flags them. */
  filter<T extends { name: string }>(server: string, kind: PinKind, items: T[]): Promise<T[]>;
  /** Throws the error a request naming a held-back definition gets; returns otherwise. */
  assertServable(server: string, kind: PinKind, name: string): void;
  /** The same, for a namespaced name that did not resolve in the aggregate view. */
  assertExposedServable(exposed: string, kind: PinKind): void;
}

/** Creates the pin guard of one gateway. */
export function createPinGuard(options: PinGuardOptions): PinGuard {
  const blocked = new Map<string, Map<string, Blocked>>();
  /** `server\0kind` of every list checked so far; strict refuses names of a list never checked. */
  const checked = new Set<string>();
  const keyOf = (kind: PinKind, name: string) => `${kind}\u0000${name}`;

  const report = async (change: PinChange) => {
    options.metrics.pinChanges.inc({ server: change.server, kind: change.kind, change: change.change });
    const quiet = change.change === "first" || change.change === "restored";
    const what = `${change.kind.replace("_", " ")} '${change.name}' of server '${change.server}'`;
    const message = {
      first: `Pinned ${what} on first sight`,
      new: `New ${what} awaits approval`,
      changed: `The definition of ${what} changed and awaits approval`,
      removed: `${what} was removed by the server`,
      restored: `${what} is back to its approved definition`,
    }[change.change];
    options.logger.log(quiet ? "info" : "warn", "definition pin", { ...change });
    await options.recordEvent({
      level: quiet ? "info" : "warn",
      type: `pin.${change.change}`,
      message,
      details: { ...change, hint: quiet ? undefined : `waygate pins diff ${change.server}` },
    });
  };

  const servable = (mode: PinningMode, pin: PinRecord) =>
    pin.status === "approved" || (mode === "warn" && pin.status !== "rejected");

  const error = (pin: PinRecord) =>
    new GatewayError(
      "pending_approval",
      pin.status === "rejected"
        ? `The ${pin.kind.replace("_", " ")} '${pin.name}' of server '${pin.server}' was rejected by an operator and is not served; see \`waygate pins diff ${pin.server}\``
        : `The ${pin.kind.replace("_", " ")} '${pin.name}' of server '${pin.server}' is ${pin.status === "new" ? "new" : "changed since it was approved"} and awaits approval: review it with \`waygate pins diff ${pin.server}\`, then \`waygate pins approve ${pin.server} ${pin.name}\``,
      { details: { server: pin.server, kind: pin.kind, name: pin.name, status: pin.status } },
    );

  return {
    async filter<T extends { name: string }>(server: string, kind: PinKind, items: T[]): Promise<T[]> {
      const mode = options.modeOf(server);
      if (mode === "off") return items;
      const observed = items.map((item) => ({
        kind,
        name: item.name,
        ...pinnedDefinition(kind, item as unknown as Record<string, unknown>),
      }));
      let pins: PinRecord[];
      try {
        const result = await options.pins.observe(server, [kind], observed);
        pins = result.pins;
        for (const change of result.changes) await report(change);
      } catch (failure) {
        // Strict fails closed: nothing of this server is listed until its pins can be read.
        if (mode === "strict") throw failure;
        options.logger.warn(
          "definition pins could not be checked; serving the list unpinned (pinning: warn)",
          {
            server,
            error: String((failure as Error).message ?? failure),
          },
        );
        return items;
      }
      checked.add(keyOf(kind, server));
      const byName = new Map(pins.map((pin) => [pin.name, pin]));
      let held = blocked.get(server);
      if (!held) {
        held = new Map();
        blocked.set(server, held);
      }
      for (const key of [...held.keys()]) if (key.startsWith(`${kind}\u0000`)) held.delete(key);
      const served: T[] = [];
      for (const item of items) {
        const pin = byName.get(item.name);
        if (!pin) {
          served.push(item);
          continue;
        }
        if (!servable(mode, pin)) {
          held.set(keyOf(kind, item.name), { pin });
          continue;
        }
        if (pin.status === "approved") served.push(item);
        else {
          const meta = (item as { _meta?: Record<string, unknown> })._meta;
          served.push({
            ...item,
            _meta: {
              ...meta,
              [PIN_META_KEY]: { status: pin.status, approvedHash: pin.approvedHash, hash: pin.currentHash },
            },
          });
        }
      }
      return served;
    },

    assertServable(server, kind, name) {
      const held = blocked.get(server)?.get(keyOf(kind, name));
      if (held) throw error(held.pin);
      if (options.modeOf(server) === "strict" && !checked.has(keyOf(kind, server))) {
        throw new GatewayError(
          "pending_approval",
          `The ${kind.replace("_", " ")}s of server '${server}' could not be checked against their pins yet (pinning: strict); retry once the server lists them`,
        );
      }
    },

    assertExposedServable(exposed, kind) {
      const at = exposed.indexOf(NAME_SEPARATOR);
      if (at <= 0) return;
      const server = exposed.slice(0, at);
      for (const { pin } of blocked.get(server)?.values() ?? []) {
        if (pin.kind === kind && namespacedName(server, pin.name) === exposed) throw error(pin);
      }
    },
  };
}
