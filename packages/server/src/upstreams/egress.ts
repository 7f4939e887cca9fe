import { createEgressPolicy, EgressRefusedError, type EgressResolver } from "@waygate/core/egress";
import type { EgressFetch } from "@waygate/core/egress-fetch";
import { BadRequestError } from "../errors/errors.js";

/** What http/sse upstreams may reach, for the bridges and for the admin API's checks. */
export interface UpstreamEgress {
  /** The fetch every http/sse bridge uses: each connection's address is checked, redirects are re-checked per hop. */
  fetch: (url: string | URL, init?: RequestInit) => Promise<Response>;
  /**
   * Resolves a remote upstream's host and throws EgressRefusedError (403) when an address is refused, or a
   * BadRequestError (400) when the name does not resolve.
   */
  checkRemote(url: string): Promise<void>;
  /** Closes the pooled upstream connections. */
  close(): Promise<void>;
}

/** Creates the gateway's egress policy from its options (the config file's `egress`). */
export function createUpstreamEgress(settings: {
  allow: string[];
  resolve?: EgressResolver;
}): UpstreamEgress {
  const policy = createEgressPolicy(settings);
  // The guarded fetch (undici, about 10 MB resident) is loaded by the first http/sse upstream or OAuth fetch, not at
  // start: a gateway with stdio upstreams only never needs it.
  let guarded: Promise<EgressFetch> | undefined;
  const load = () => {
    guarded ??= import("@waygate/core/egress-fetch").then(({ createEgressFetch }) =>
      createEgressFetch(policy),
    );
    return guarded;
  };
  return {
    fetch: async (url, init) => (await load()).fetch(url, init),
    async checkRemote(url) {
      const host = new URL(url).hostname;
      try {
        await policy.checkUrl(url);
      } catch (error) {
        if (EgressRefusedError.isInstance(error)) throw error;
        throw new BadRequestError(
          `Cannot resolve the upstream host ${host}: ${(error as Error).message}. Give a URL whose host resolves from the gateway`,
        );
      }
    },
    close: async () => {
      await (await guarded)?.close();
    },
  };
}
