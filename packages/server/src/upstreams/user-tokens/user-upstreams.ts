import type { OAuthDiscoveryState } from "@modelcontextprotocol/client";
import type { UpstreamUserTokensRepository } from "@waygate/core";
import type { HostedPlugin } from "../hosted-plugin.js";
import type { UpstreamUserOAuth } from "../upstream-oauth-options.js";
import { createSignIns, type SignIns } from "./sign-ins.js";
import type { UserTokenProvider, UserTokenScope } from "./user-token-provider.js";
import { UserUpstream } from "./user-upstream.js";

type Fetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

/** Where the sign-in links and the authorization server's redirect land. */
export const USER_TOKEN_PATHS = {
  start: "/oauth/upstream/start",
  callback: "/oauth/upstream/callback",
} as const;

/** The per-user upstreams of one gateway: how to build them, and how to reach the live ones (callback, revoke). */
export interface UserUpstreams {
  readonly signIns: SignIns;
  readonly tokens: UpstreamUserTokensRepository;
  /** True when `name` uses per-user tokens. */
  has(name: string): boolean;
  /** Builds the per-user upstream `name` at `serverUrl`; `connect` builds one principal's bridge. */
  create(
    name: string,
    serverUrl: string,
    connect: (provider: UserTokenProvider) => HostedPlugin,
  ): UserUpstream;
  /** The token scope of a live per-user upstream, for the callback. */
  scopeOf(name: string): UserTokenScope | undefined;
  /** Opens the principal's connection to `server` after its sign-in; a failure is left for its next call. */
  connect(server: string, principal: string): Promise<void>;
  /** Deletes the principal's token at `server` and closes its connection; true when there was one. */
  revoke(server: string, principal: string): Promise<boolean>;
}

/** Creates the registry from `upstreamOAuth`'s `authorizationCode` entries. */
export function createUserUpstreams(deps: {
  settings: Record<string, UpstreamUserOAuth>;
  defaultPublicUrl: string | undefined;
  tokens: UpstreamUserTokensRepository;
  fetch: Fetch;
}): UserUpstreams {
  const signIns = createSignIns();
  const live = new Map<string, { upstream: UserUpstream; scope: UserTokenScope }>();
  const discovery = new Map<string, { state?: OAuthDiscoveryState }>();
  const publicUrlOf = (name: string) => {
    const url = deps.settings[name]?.publicUrl ?? deps.defaultPublicUrl;
    if (!url)
      throw new Error(`upstreamOAuth.${name}.authorizationCode needs a publicUrl (or oauth.publicUrl)`);
    return url;
  };
  return {
    signIns,
    tokens: deps.tokens,
    has: (name) => deps.settings[name] !== undefined,
    create(name, serverUrl, connect) {
      const settings = deps.settings[name];
      if (!settings) throw new Error(`no per-user OAuth settings for '${name}'`);
      const publicUrl = publicUrlOf(name);
      const shared = discovery.get(name) ?? {};
      discovery.set(name, shared);
      const scope: UserTokenScope = {
        server: name,
        serverUrl,
        settings,
        callbackUrl: new URL(USER_TOKEN_PATHS.callback, publicUrl).href,
        tokens: deps.tokens,
        fetch: deps.fetch,
        discovery: shared,
        refreshing: new Map(),
      };
      const upstream = new UserUpstream(name, {
        scope,
        signIns,
        startUrl: (id) => new URL(`${USER_TOKEN_PATHS.start}/${id}`, publicUrl).href,
        connect,
        onShutdown: () => {
          if (live.get(name)?.upstream === upstream) live.delete(name);
        },
      });
      live.set(name, { upstream, scope });
      return upstream;
    },
    scopeOf: (name) => live.get(name)?.scope,
    async connect(server, principal) {
      await live
        .get(server)
        ?.upstream.open(principal)
        .catch(() => {});
    },
    async revoke(server, principal) {
      const revoked = await deps.tokens.revoke(server, principal);
      await live.get(server)?.upstream.disconnect(principal);
      return revoked;
    },
  };
}
