// The host's side of a bridge: what a host passes beside the JSON options, and what it learns of the upstream.
import type { OAuthClientProvider } from "@modelcontextprotocol/client";
import type { ClientRequests } from "../plugin.js";
import type { BridgePolicy } from "./policy.js";

/** Host-supplied extras that cannot live in JSON options. */
export interface McpBridgeHooks {
  /** Answers the upstream's sampling, elicitation and roots requests when no single call can take them. */
  clientRequests?: ClientRequests;
  /** Hides tools and denies calls before they reach the upstream; denials carry `_meta["waygate/denied"]`. */
  policy?: BridgePolicy;
  /**
   * The fetch an http/sse upstream is reached with (default: the global one), e.g. one that checks every address
   * it connects to. It is called once per hop of a redirect the transport follows.
   */
  fetch?: (url: string | URL, init?: RequestInit) => Promise<Response>;
  /**
   * Checks the server found after connecting (its `serverInfo`): a returned reason refuses it (the connection is
   * closed and the start fails with UPSTREAM_REFUSED), e.g. when the upstream is the host itself.
   */
  acceptServer?: (serverInfo: UpstreamServerInfo) => string | undefined;
  /**
   * Gets an http/sse upstream's OAuth access tokens (the SDK's provider interface, e.g. its
   * `ClientCredentialsProvider`): on a 401 the transport discovers the upstream's authorization server and asks it.
   */
  authProvider?: OAuthClientProvider;
  /**
   * The deadline of each forwarded request, read per request, in place of `timeouts.callMs`: a host whose deadline
   * can change while the bridge runs (a runtime setting) passes it here, so a running upstream follows the change.
   */
  callTimeoutMs?: () => number;
}

/** What an upstream says about itself in `serverInfo`. */
export interface UpstreamServerInfo {
  name: string;
  version: string;
  title?: string;
  description?: string;
}
