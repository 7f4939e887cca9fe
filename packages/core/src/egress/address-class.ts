import { BlockList, isIP } from "node:net";

/** Kinds of address an upstream may not point at unless the config file allows the network. */
export type AddressClass =
  | "unspecified"
  | "loopback"
  | "private"
  | "link-local"
  | "cgnat"
  | "multicast"
  | "reserved"
  | "ipv4-mapped";

/** What each class is, in the words an operator reads in an error message. */
export const ADDRESS_CLASS_DESCRIPTIONS: Readonly<Record<AddressClass, string>> = {
  unspecified: "an unspecified address (0.0.0.0/8, ::)",
  loopback: "a loopback address (127.0.0.0/8, ::1)",
  private: "a private address (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7)",
  "link-local": "a link-local address (169.254.0.0/16, fe80::/10; cloud metadata lives here)",
  cgnat: "a carrier-grade NAT address (100.64.0.0/10)",
  multicast: "a multicast address (224.0.0.0/4, ff00::/8)",
  reserved: "a reserved address (240.0.0.0/4, broadcast)",
  "ipv4-mapped": "an IPv4-mapped IPv6 address (::ffff:0:0/96)",
};

const RANGES: Readonly<Record<Exclude<AddressClass, "ipv4-mapped">, readonly string[]>> = {
  unspecified: ["0.0.0.0/8", "::/128"],
  loopback: ["127.0.0.0/8", "::1/128"],
  private: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
  "link-local": ["169.254.0.0/16", "fe80::/10"],
  cgnat: ["100.64.0.0/10"],
  multicast: ["224.0.0.0/4", "ff00::/8"],
  reserved: ["240.0.0.0/4"],
};

/** A network in CIDR notation, parsed. */
export interface Cidr {
  address: string;
  prefix: number;
  family: "ipv4" | "ipv6";
}

/** Parses `10.0.0.0/8` or `fd00::/8` (a bare address is a single host); undefined when it is not one. */
export function parseCidr(text: string): Cidr | undefined {
  const parts = text.trim().split("/");
  if (parts.length > 2) return undefined;
  const [address, prefixText] = parts as [string, string?];
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? "ipv4" : "ipv6" };
}

/** A BlockList holding the given networks (node's own matcher, which also matches IPv4-mapped forms). */
export function blockListOf(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const text of cidrs) {
    const cidr = parseCidr(text);
    if (!cidr) throw new TypeError(`not a network in CIDR notation: ${text}`);
    list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  }
  return list;
}

/** Classifies IP addresses of a known family into the refused classes; build it once per policy. */
export function createAddressClassifier(): (
  address: string,
  family: "ipv4" | "ipv6",
) => AddressClass | undefined {
  const mapped = blockListOf(["::ffff:0:0/96"]);
  const lists = Object.entries(RANGES).map(
    ([kind, cidrs]) => [kind as AddressClass, blockListOf(cidrs)] as const,
  );
  return (address, family) => {
    // BlockList matches `::ffff:a.b.c.d` against IPv4 rules too, so the mapped form is told apart first. Checked as
    // "ipv6", an IPv4 address never matches, so the family test only states the intent (an equivalent mutant).
    // Stryker disable next-line ConditionalExpression
    if (family === "ipv6" && mapped.check(address, "ipv6")) return "ipv4-mapped";
    for (const [kind, list] of lists) if (list.check(address, family)) return kind;
    return undefined;
  };
}
