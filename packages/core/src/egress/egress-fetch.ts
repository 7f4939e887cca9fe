// Every export of this file is public API (the `@waygate/core/egress-fetch` entry; it loads undici).
import type { LookupFunction } from "node:net";
import { isIP } from "node:net";
import { Agent, buildConnector, fetch as undiciFetch } from "undici";
import { EgressRefusedError } from "../errors.js";
import type { EgressPolicy } from "./egress-policy.js";

/** A fetch that reaches only what an egress policy allows, and the connection pool behind it. */
export interface EgressFetch {
  /** Checks the URL, then fetches with `redirect: "manual"`: the caller follows a redirect by calling it again. */
  fetch: (url: string | URL, init?: RequestInit) => Promise<Response>;
  /** Closes the pooled connections. */
  close(): Promise<void>;
}

/**
 * Creates a fetch whose every connection is checked: the host is resolved and each address checked by the policy
 * inside the socket's own lookup, so the connection goes to the address that was checked (a name rebound between a
 * check and the connect cannot slip through). IP literals, which skip the lookup, are checked by the connector.
 */
export function createEgressFetch(policy: EgressPolicy): EgressFetch {
  const lookup: LookupFunction = (hostname, options, callback) => {
    policy.resolve(hostname).then(
      (addresses) => {
        const wanted = options.family ? addresses.filter((a) => a.family === options.family) : addresses;
        const first = wanted[0];
        if (!first) {
          callback(
            Object.assign(new Error(`${hostname} has no IPv${options.family} address`), {
              code: "ENOTFOUND",
            }),
            "",
            4,
          );
          return;
        }
        if (options.all) (callback as unknown as (e: null, a: typeof wanted) => void)(null, wanted);
        else callback(null, first.address, first.family);
      },
      (error: Error) => callback(error as NodeJS.ErrnoException, "", 4),
    );
  };
  const base = buildConnector({ lookup });
  const agent = new Agent({
    connect: (options, callback) => {
      const host = options.hostname.replace(/^\[|\]$/g, "");
      if (isIP(host) !== 0) {
        policy.resolve(host).then(
          () => base(options, callback),
          (error: Error) => callback(error, null),
        );
        return;
      }
      base(options, callback);
    },
  });

  return {
    async fetch(url, init) {
      try {
        const response = await undiciFetch(url, {
          ...(init as Parameters<typeof undiciFetch>[1]),
          redirect: "manual",
          dispatcher: agent,
        });
        return response as unknown as Response;
      } catch (error) {
        throw egressCause(error) ?? error;
      }
    },
    close: () => agent.close(),
  };
}

/** The EgressRefusedError inside undici's "fetch failed", so callers see why. */
function egressCause(error: unknown): EgressRefusedError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    if (EgressRefusedError.isInstance(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
