// The protocol era of an upstream: the verdict a connection finds (2026-07-28 `server/discover`, or a 2025
// `initialize`), kept so the next connection skips the probe, and what to do when a probe or a kept verdict fails.
import {
  type Client,
  type DiscoverResult,
  isSpecType,
  type PriorDiscovery,
  SdkError,
  SdkErrorCode,
} from "@modelcontextprotocol/client";
import { z } from "zod";
import { errorMessage, PluginError } from "../errors.js";
import type { Logger } from "../logger.js";

/**
 * The protocol era an upstream was found to speak. `modern` (2026-07-28 on) carries the server's whole
 * `server/discover` advertisement; `legacy` (2024-11-05 … 2025-11-25) the version `initialize` settled on.
 * Plain JSON: a host stores it and hands it back as `protocol.prior` to skip the probe on the next start.
 */
export type UpstreamEra =
  | { era: "modern"; protocolVersion: string; discover: DiscoverResult }
  | { era: "legacy"; protocolVersion: string };

const DiscoverResultSchema = z.custom<DiscoverResult>(
  (value) => isSpecType.DiscoverResult(value),
  "is not a server/discover result",
);

/** A verdict from an earlier connection; `protocolVersion` is accepted (and ignored) so an `UpstreamEra` can be fed back as is. */
export const UpstreamEraVerdictSchema = z.discriminatedUnion("era", [
  z.object({
    era: z.literal("modern"),
    discover: DiscoverResultSchema,
    protocolVersion: z.string().optional(),
  }),
  z.object({ era: z.literal("legacy"), protocolVersion: z.string().optional() }),
]);

/** A verdict from an earlier connection, as accepted by the bridge's `protocol.prior` option. */
export type UpstreamEraVerdict = z.output<typeof UpstreamEraVerdictSchema>;

/** The SDK's form of a verdict, for `Client.connect(transport, { prior })`. */
export function toPriorDiscovery(verdict: UpstreamEraVerdict): PriorDiscovery {
  return verdict.era === "modern" ? { kind: "modern", discover: verdict.discover } : { kind: "legacy" };
}

/** What a connected client negotiated, or undefined before the connection is established. */
export function readUpstreamEra(client: Client): UpstreamEra | undefined {
  const era = client.getProtocolEra();
  const protocolVersion = client.getNegotiatedProtocolVersion();
  if (era === undefined || protocolVersion === undefined) return undefined;
  const discover = client.getDiscoverResult();
  return era === "modern" && discover
    ? { era, protocolVersion, discover }
    : { era: "legacy", protocolVersion };
}

/** Whether a connect failed because the upstream closed the connection while the SDK probed its era. */
const closedOnProbe = (error: unknown): boolean =>
  PluginError.isInstance(error, "UPSTREAM_CLOSED") &&
  SdkError.isInstance(error.cause) &&
  error.cause.code === SdkErrorCode.EraNegotiationFailed;

/** What `connectByVerdict` needs of its bridge. */
export interface VerdictConnector {
  /** Opens a connection, from `prior` when one is given, else probing the era. */
  open(prior: UpstreamEraVerdict | undefined): Promise<void>;
  /** Drops the kept verdict: it no longer holds. */
  forgetVerdict(): void;
  /** Whether the bridge is shutting down. */
  stopping(): boolean;
  readonly logger: Logger;
}

/**
 * Connects from the kept verdict `prior`, or by probing the era without one, and recovers once when that fails in a
 * way a second try can mend: an upstream that closes on the probe is opened again as a 2025 server, and a kept
 * verdict that no longer holds is dropped and the era probed afresh. A refusal, or a failure while stopping, is final.
 */
export async function connectByVerdict(
  prior: UpstreamEraVerdict | undefined,
  connector: VerdictConnector,
): Promise<void> {
  const { logger } = connector;
  try {
    await connector.open(prior);
  } catch (error) {
    if (PluginError.isInstance(error, "UPSTREAM_REFUSED")) throw error;
    // Shutdown closed the connection being made: retrying would start an upstream nobody stops.
    if (connector.stopping()) {
      logger.info("upstream connect abandoned: the bridge is stopping", {
        error: errorMessage(error),
      });
      throw error;
    }
    if (prior === undefined && closedOnProbe(error)) {
      // Some stdio servers end on any request before `initialize` (rmcp-based ones do). The SDK probes its
      // own stdio transport on a throwaway process for that reason; this transport probes in place, so the
      // bridge starts the server again and skips the probe.
      logger.warn("upstream closed the connection on the protocol probe; connecting to it as a 2025 server", {
        error: errorMessage(error),
      });
      await connector.open({ era: "legacy" });
      return;
    }
    if (prior === undefined) throw error;
    // The upstream may have changed era since the verdict was taken: drop it and probe afresh.
    connector.forgetVerdict();
    logger.warn("connecting with the known protocol era failed; probing the upstream", {
      era: prior.era,
      error: errorMessage(error),
    });
    await connector.open(undefined);
  }
}
