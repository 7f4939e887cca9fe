import {
  auth,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  type StoredOAuthTokens,
} from "@modelcontextprotocol/client";
import type { UpstreamUserTokensRepository } from "@waygate/core";
import type { UpstreamUserOAuth } from "../upstream-oauth-options.js";
import type { PendingSignIn } from "./sign-ins.js";

type Fetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

/** What every principal's provider for one upstream shares. */
export interface UserTokenScope {
  server: string;
  /** The upstream's MCP URL: its protected resource metadata names the authorization server. */
  serverUrl: string;
  settings: UpstreamUserOAuth;
  /** `<publicUrl>/oauth/upstream/callback`. */
  callbackUrl: string;
  tokens: UpstreamUserTokensRepository;
  /** The egress fetch (authorization server discovery and token requests go through it too). */
  fetch: Fetch;
  /** Discovery results per upstream: they must outlive the redirect (the callback checks the issuer against them). */
  discovery: { state?: OAuthDiscoveryState };
  /** Refreshes in flight, by principal: one at a time, so a rotated refresh token is used once. */
  refreshing: Map<string, Promise<void>>;
  now?: () => number;
}

/** The stored form: the SDK's token set plus when the access token expires (epoch ms). */
type StoredSet = StoredOAuthTokens & { expires_at?: number };

/**
 * The SDK's OAuth client provider for one principal at one upstream: its tokens live sealed in the database, keyed
 * by (server, principal). It never registers clients dynamically: the client is the pre-registered one, or a Client
 * ID Metadata Document URL. A token this close to its expiry is refreshed before the transport uses it.
 */
export class UserTokenProvider implements OAuthClientProvider {
  readonly #scope: UserTokenScope;
  readonly #principal: string;
  readonly #signIn: PendingSignIn | undefined;

  constructor(scope: UserTokenScope, principal: string, signIn?: PendingSignIn) {
    this.#scope = scope;
    this.#principal = principal;
    this.#signIn = signIn;
  }

  get redirectUrl(): string {
    return this.#scope.callbackUrl;
  }

  get clientMetadataUrl(): string | undefined {
    return this.#scope.settings.clientMetadataUrl;
  }

  get clientMetadata() {
    const { clientSecret, scope } = this.#scope.settings;
    return {
      client_name: "Waygate",
      redirect_uris: [this.#scope.callbackUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: clientSecret ? "client_secret_basic" : "none",
      ...(scope ? { scope } : {}),
    };
  }

  state(): string {
    // Without a sign-in in progress no authorization request may start: a random state matches no callback.
    return this.#signIn?.state ?? crypto.randomUUID();
  }

  clientInformation() {
    const { clientId, clientSecret, clientMetadataUrl, issuer } = this.#scope.settings;
    const id = clientId ?? clientMetadataUrl;
    if (!id) return undefined;
    // The issuer stamp makes the SDK refuse to send the client's credentials to another authorization server.
    return {
      client_id: id,
      ...(clientSecret ? { client_secret: clientSecret } : {}),
      ...(issuer ? { issuer } : {}),
    };
  }

  async tokens(ctx?: { issuer: string }): Promise<StoredOAuthTokens | undefined> {
    const stored = await this.#read();
    // The transport's read before each request (no ctx) refreshes a token about to expire; auth()'s reads do not.
    if (!stored || ctx !== undefined || !this.#dueForRefresh(stored)) return withoutExpiry(stored);
    await this.refresh();
    return withoutExpiry(await this.#read());
  }

  async saveTokens(tokens: StoredOAuthTokens): Promise<void> {
    const now = (this.#scope.now ?? Date.now)();
    const expiresAt = typeof tokens.expires_in === "number" ? now + tokens.expires_in * 1000 : undefined;
    // A refresh that returns no new refresh token keeps the one it used (RFC 6749 §6).
    const previous = tokens.refresh_token ? undefined : (await this.#read())?.refresh_token;
    const set: StoredSet = {
      ...tokens,
      ...(previous ? { refresh_token: previous } : {}),
      ...(expiresAt ? { expires_at: expiresAt } : {}),
    };
    await this.#scope.tokens.save(
      this.#scope.server,
      this.#principal,
      set as Record<string, unknown>,
      expiresAt ? new Date(expiresAt) : null,
    );
  }

  redirectToAuthorization(authorizationUrl: URL): void {
    if (this.#signIn) this.#signIn.authorizationUrl = authorizationUrl;
  }

  saveCodeVerifier(codeVerifier: string): void {
    if (this.#signIn) this.#signIn.verifier = codeVerifier;
  }

  codeVerifier(): string {
    if (!this.#signIn?.verifier) throw new Error("no sign-in in progress for this callback");
    return this.#signIn.verifier;
  }

  async invalidateCredentials(scope: "all" | "client" | "tokens" | "verifier" | "discovery"): Promise<void> {
    if (scope === "all" || scope === "tokens")
      await this.#scope.tokens.revoke(this.#scope.server, this.#principal);
    if (scope === "all" || scope === "discovery") this.#scope.discovery.state = undefined;
  }

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.#scope.discovery.state = state;
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.#scope.discovery.state;
  }

  /** Starts the sign-in: discovery, then the authorization URL (with PKCE and state) the person must open. */
  async authorizationUrl(): Promise<URL> {
    await auth(this, {
      serverUrl: this.#scope.serverUrl,
      fetchFn: this.#scope.fetch,
      ...this.#scopeOption(),
    });
    const url = this.#signIn?.authorizationUrl;
    if (!url) throw new Error("the upstream's authorization server gave no authorization URL");
    return url;
  }

  /** Finishes the sign-in: exchanges the callback's code (checked against the verifier and issuer) for tokens. */
  async exchange(code: string, iss: string | undefined): Promise<void> {
    const result = await auth(this, {
      serverUrl: this.#scope.serverUrl,
      authorizationCode: code,
      ...(iss ? { iss } : {}),
      fetchFn: this.#scope.fetch,
      ...this.#scopeOption(),
    });
    if (result !== "AUTHORIZED") throw new Error("the authorization server did not issue tokens");
  }

  /** Refreshes the stored tokens now (one refresh per principal at a time). */
  refresh(): Promise<void> {
    const running = this.#scope.refreshing.get(this.#principal);
    if (running) return running;
    const work = auth(this, { serverUrl: this.#scope.serverUrl, fetchFn: this.#scope.fetch })
      .then(() => undefined)
      .finally(() => this.#scope.refreshing.delete(this.#principal));
    this.#scope.refreshing.set(this.#principal, work);
    return work;
  }

  #scopeOption() {
    return this.#scope.settings.scope ? { scope: this.#scope.settings.scope } : {};
  }

  #dueForRefresh(stored: StoredSet): boolean {
    if (!stored.refresh_token || stored.expires_at === undefined) return false;
    const margin = this.#scope.settings.refreshBeforeExpirySeconds * 1000;
    return stored.expires_at - margin <= (this.#scope.now ?? Date.now)();
  }

  async #read(): Promise<StoredSet | undefined> {
    return (await this.#scope.tokens.get(this.#scope.server, this.#principal)) as StoredSet | undefined;
  }
}

function withoutExpiry(stored: StoredSet | undefined): StoredOAuthTokens | undefined {
  if (!stored) return undefined;
  const { expires_at: _expiresAt, ...tokens } = stored;
  return tokens;
}
