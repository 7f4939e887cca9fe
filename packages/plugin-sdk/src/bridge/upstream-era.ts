import {
  type Client,
  type DiscoverResult,
  isSpecType,
  type PriorDiscovery,
} from "@modelcontextprotocol/client";
import { z } from "zod";

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
