import { lookup as dnsLookup } from "node:dns/promises";
import { isIP } from "node:net";
import { z } from "zod";
import { EgressRefusedError } from "../errors.js";
import {
  ADDRESS_CLASS_DESCRIPTIONS,
  type AddressClass,
  blockListOf,
  createAddressClassifier,
  parseCidr,
} from "./address-class.js";

/** One resolved address of a host name. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has (default: `dns.lookup` with `all: true`). */
export type EgressResolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** A network in CIDR notation (`10.0.0.0/8`, `fd00::/8`, or one address). */
export const CidrSchema = z.string().refine((value) => parseCidr(value) !== undefined, {
  error: 'must be a network in CIDR notation, e.g. "10.0.0.0/8" or "fd00::/8"',
});

/** The egress settings an operator writes in the config file (never taken from the HTTP admin API). */
export const EgressSettingsSchema = z.strictObject({
  allow: z
    .array(CidrSchema)
    .default([])
    .describe(
      "networks (CIDR) that http/sse upstreams may reach although they are loopback, private, link-local, CGNAT, multicast or unspecified",
    ),
});

/** Egress settings after defaults. */
export type EgressSettings = z.output<typeof EgressSettingsSchema>;

/** Options of `createEgressPolicy`. */
export interface EgressPolicyOptions {
  /** Networks allowed although their class is refused by default. */
  allow?: readonly string[];
  /** Name resolution, replaceable for tests and custom DNS. */
  resolve?: EgressResolver;
}

/** Decides which addresses http/sse upstreams may reach; every check resolves the name first. */
export interface EgressPolicy {
  /** The class that refuses `address`, or undefined when it may be reached. */
  refusalOf(address: string): AddressClass | undefined;
  /** Every address of `hostname` (an IP literal is its own), or an EgressRefusedError naming the first refused one. */
  resolve(hostname: string): Promise<ResolvedAddress[]>;
  /** Resolves the host of `url` and throws EgressRefusedError when any of its addresses is refused. */
  checkUrl(url: string | URL): Promise<void>;
}

// In the resolver's own order (Node's default since v17); every address is checked, so the order decides nothing.
const defaultResolve: EgressResolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true })) as ResolvedAddress[];

/** A URL's host without IPv6 brackets. */
export function bareHost(url: URL): string {
  const inner = url.hostname.slice(1, -1);
  return isIP(inner) === 6 ? inner : url.hostname;
}

/** Creates the policy: by default every special-purpose class is refused; `allow` opens networks by CIDR. */
export function createEgressPolicy(options: EgressPolicyOptions = {}): EgressPolicy {
  const classify = createAddressClassifier();
  const allowed = blockListOf(options.allow ?? []);
  const resolveName = options.resolve ?? defaultResolve;

  const refusalOf = (address: string): AddressClass | undefined => {
    const version = isIP(address);
    // A name is in no class. BlockList also answers false for it, so this return only saves work (equivalent mutant).
    // Stryker disable next-line ConditionalExpression
    if (version === 0) return undefined;
    const family = version === 4 ? "ipv4" : "ipv6";
    if (allowed.check(address, family)) return undefined;
    return classify(address, family);
  };

  const refuse = (hostname: string, address: string, kind: AddressClass): EgressRefusedError => {
    const of = hostname === address ? "" : ` (resolved from ${hostname})`;
    return new EgressRefusedError(
      `Refused to reach ${address}${of}: it is ${ADDRESS_CLASS_DESCRIPTIONS[kind]}. Upstreams may not reach ${kind} addresses unless the operator allows the network in the config file, e.g. "egress": { "allow": ["${suggestedCidr(address)}"] } (the HTTP admin API cannot allow networks).`,
      { address, addressClass: kind },
    );
  };

  const resolve = async (hostname: string): Promise<ResolvedAddress[]> => {
    const version = isIP(hostname);
    const addresses: ResolvedAddress[] =
      version === 0 ? await resolveName(hostname) : [{ address: hostname, family: version === 6 ? 6 : 4 }];
    if (addresses.length === 0) throw new Error(`${hostname} resolved to no address`);
    // One refused address refuses the name: a resolver may hand out the other one at connect time.
    for (const { address } of addresses) {
      const kind = refusalOf(address);
      if (kind) throw refuse(hostname, address, kind);
    }
    return addresses;
  };

  return {
    refusalOf,
    resolve,
    async checkUrl(url) {
      await resolve(bareHost(new URL(url)));
    },
  };
}

function suggestedCidr(address: string): string {
  return isIP(address) === 4 ? `${address}/32` : `${address}/128`;
}
