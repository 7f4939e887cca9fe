import { createHash } from "node:crypto";
import type { UpstreamEraRecord, UpstreamErasRepository, UpstreamEraVerdict } from "@waygate/core";
import {
  type UpstreamEraVerdict as BridgeVerdict,
  type UpstreamEra,
  UpstreamEraVerdictSchema,
} from "@waygate/plugin-sdk/bridge";
import type winston from "winston";
import type { UpstreamTransport } from "./upstream-config.js";

/** The era verdicts a gateway starts its upstreams from, and keeps up to date. */
export interface EraMemory {
  /**
   * The stored verdict of `name`, if it was taken for this same transport within the horizon and is one the bridge
   * can use (a stored discover result it cannot read means a probe, not a failed start).
   */
  prior(name: string, transport: UpstreamTransport): BridgeVerdict | undefined;
  /** Stores what a connection found, if it differs from what is stored or what is stored is half a horizon old. */
  remember(name: string, transport: UpstreamTransport, era: UpstreamEra | undefined): void;
}

/**
 * What identifies an upstream for its verdict: its URL, or its command, arguments and directory. Headers and env
 * are left out (secrets, and no bearing on the era); a changed URL or command is probed afresh.
 */
export function transportFingerprint(transport: UpstreamTransport): string {
  const identity =
    transport.type === "stdio"
      ? { type: "stdio", command: transport.command, args: transport.args, cwd: transport.cwd ?? null }
      : { type: transport.type, url: transport.url };
  return createHash("sha256").update(JSON.stringify(identity)).digest("hex");
}

/** Drops what the bridge reports beyond the verdict (the negotiated version), which the store does not keep. */
const verdictOf = (era: UpstreamEra): UpstreamEraVerdict =>
  era.era === "modern"
    ? { era: "modern", discover: era.discover as Record<string, unknown> }
    : { era: "legacy" };

/**
 * Era verdicts over the `upstream_eras` table: read once at start, written when a connection finds something new.
 * A verdict older than `horizonMs` is not used, so an upgraded upstream is found by the next probe.
 */
export function createEraMemory(
  records: UpstreamEraRecord[],
  repo: UpstreamErasRepository,
  options: { horizonMs: number; now?: () => number; logger: winston.Logger },
): EraMemory {
  const now = options.now ?? Date.now;
  const known = new Map(records.map((record) => [record.name, record]));
  const fresh = (record: UpstreamEraRecord, within: number) => now() - record.checkedAt.getTime() < within;

  return {
    prior(name, transport) {
      const record = known.get(name);
      if (!record || record.fingerprint !== transportFingerprint(transport)) return undefined;
      if (!fresh(record, options.horizonMs)) return undefined;
      const parsed = UpstreamEraVerdictSchema.safeParse(record.verdict);
      return parsed.success ? parsed.data : undefined;
    },

    remember(name, transport, era) {
      if (!era) return;
      const fingerprint = transportFingerprint(transport);
      const verdict = verdictOf(era);
      const record = known.get(name);
      const same =
        record !== undefined &&
        record.fingerprint === fingerprint &&
        JSON.stringify(record.verdict) === JSON.stringify(verdict);
      if (same && fresh(record, options.horizonMs / 2)) return;
      known.set(name, { name, fingerprint, verdict, checkedAt: new Date(now()) });
      repo.record(name, fingerprint, verdict).catch((error: unknown) => {
        // The verdict only saves a probe; the next start probes if it was not stored.
        options.logger.warn("could not store an upstream's protocol era", {
          server: name,
          error: (error as Error).message,
        });
      });
    },
  };
}
