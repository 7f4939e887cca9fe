import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK } from "jose";
import Provider from "oidc-provider";

/** Token scopes the test provider can grant. */
export const TEST_SCOPES = ["waygate:tools:list", "waygate:tools:call", "waygate:metrics:read"];

/** A signing key of the provider: the private JWK it signs with and the key to sign forgeries with. */
export interface SigningKey {
  kid: string;
  privateJwk: JWK;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

/** A real OpenID provider (oidc-provider) on loopback, issuing JWT access tokens for resource indicators. */
export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  key: SigningKey;
  /** Claims added to every access token issued from now on (such as `groups`); change it between tokens. */
  extraClaims: Record<string, unknown>;
  /** Obtains an access token by client credentials for `resource` (RFC 8707) with the given scopes. */
  token(resource: string, scope?: string): Promise<string>;
  /** Requests the provider answered, by path (e.g. `/token/introspection`). */
  hits: Map<string, number>;
  /** Who the scripted sign-in signs in from now on (default `TEST_USER`). */
  user: string;
  /** The pre-registered authorization-code client, when `codeClient` was given. */
  codeClient?: { id: string; secret: string };
  /** Replaces the signing key (the provider restarts on the same issuer, publishing only the new key). */
  rotateKey(): Promise<SigningKey>;
  close(): Promise<void>;
}

/** A fresh RS256 signing key with a random `kid`. */
export async function newSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const kid = `key-${crypto.randomUUID()}`;
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: "RS256", use: "sig" };
  return { kid, privateJwk, privateKey, publicKey };
}

/** A confidential client pre-registered for authorization code + refresh, redirecting to `redirectUri`. */
interface CodeClient {
  id: string;
  secret: string;
  redirectUri: string;
}

function providerFor(
  issuer: string,
  key: SigningKey,
  client: { id: string; secret: string },
  options: { opaque: boolean; codeClient?: CodeClient; accessTokenTTL: number },
  extraClaims: Record<string, unknown>,
) {
  const { opaque, codeClient, accessTokenTTL } = options;
  return new Provider(issuer, {
    extraTokenClaims: () => ({ ...extraClaims }),
    clients: [
      {
        client_id: client.id,
        client_secret: client.secret,
        grant_types: ["client_credentials"],
        redirect_uris: [],
        response_types: [],
        scope: TEST_SCOPES.join(" "),
      },
      ...(codeClient
        ? [
            {
              client_id: codeClient.id,
              client_secret: codeClient.secret,
              grant_types: ["authorization_code", "refresh_token"],
              redirect_uris: [codeClient.redirectUri],
              response_types: ["code" as const],
              scope: [...TEST_SCOPES, "offline_access"].join(" "),
            },
          ]
        : []),
    ],
    jwks: { keys: [key.privateJwk as never] },
    cookies: { keys: ["test-cookie-key-0123456789"] },
    // offline_access enables the refresh_token grant that MCP clients register for.
    scopes: [...TEST_SCOPES, "offline_access"],
    ttl: { ClientCredentials: 300 },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
    // Authorization code + PKCE for clients that register themselves (RFC 7591), as MCP clients do.
    features: {
      registration: { enabled: true },
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined as never,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => ({
          scope: TEST_SCOPES.join(" "),
          audience: resource,
          accessTokenTTL,
          accessTokenFormat: opaque ? "opaque" : "jwt",
          ...(opaque ? {} : { jwt: { sign: { alg: "RS256" } } }),
        }),
      },
    },
  });
}

/** The user who signs in on every interaction: the scripted sign-in of the tests. */
export const TEST_USER = "alice";

/**
 * The provider's interaction page, scripted: the login prompt signs in `TEST_USER`, the consent prompt grants every
 * scope asked for each resource asked for.
 */
async function signIn(
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  user: string,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === "login") {
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: user } },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  const grant = new provider.Grant({ accountId: user, clientId: String(details.params.client_id) });
  const missing = details.prompt.details as {
    missingOIDCScope?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(resource, scopes.join(" "));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

/**
 * Follows an authorization URL the way a browser would, through the scripted sign-in, to the redirect back to the
 * client; returns the authorization code.
 */
export async function authorize(authorizationUrl: URL, redirectUrl: string): Promise<string> {
  const cookies = new Map<string, string>();
  let url = authorizationUrl.href;
  for (let hop = 0; hop < 10; hop++) {
    const response = await fetch(url, {
      redirect: "manual",
      headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join("; ") },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const at = pair.indexOf("=");
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    const location = response.headers.get("location");
    if (!location)
      throw new Error(`the sign-in stopped at ${url}: HTTP ${response.status} ${await response.text()}`);
    const next = new URL(location, url);
    if (next.href.startsWith(redirectUrl)) {
      const code = next.searchParams.get("code");
      if (!code) throw new Error(`the provider redirected back without a code: ${next.href}`);
      return code;
    }
    url = next.href;
  }
  throw new Error("the sign-in did not come back to the client within 10 redirects");
}

/**
 * Starts the provider on 127.0.0.1 on a free port. `opaque` issues opaque tokens (for introspection); `codeClient`
 * pre-registers an authorization-code client redirecting to that URI; `accessTokenTTL` is in seconds (default 300).
 */
export async function startProvider(
  options: { opaque?: boolean; codeClient?: { redirectUri: string }; accessTokenTTL?: number } = {},
): Promise<TestProvider> {
  const client = { id: "waygate-tests", secret: "waygate-tests-secret-0123456789" };
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    hits.set(path, (hits.get(path) ?? 0) + 1);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let key = await newSigningKey();
  const extraClaims: Record<string, unknown> = {};
  const codeClient = options.codeClient
    ? { id: "waygate-upstream", secret: "waygate-upstream-secret-0123456789", ...options.codeClient }
    : undefined;
  const state = { user: TEST_USER };
  const mount = () => {
    const provider = providerFor(
      issuer,
      key,
      client,
      {
        opaque: options.opaque === true,
        accessTokenTTL: options.accessTokenTTL ?? 300,
        ...(codeClient ? { codeClient } : {}),
      },
      extraClaims,
    );
    const callback = provider.callback();
    handler = (req, res) => {
      if (req.url?.startsWith("/interaction/")) {
        signIn(provider, req, res, state.user).catch((error: unknown) => {
          res.statusCode = 500;
          res.end(String(error));
        });
        return;
      }
      callback(req, res);
    };
  };
  mount();
  return {
    issuer,
    clientId: client.id,
    clientSecret: client.secret,
    extraClaims,
    hits,
    get user() {
      return state.user;
    },
    set user(user: string) {
      state.user = user;
    },
    ...(codeClient ? { codeClient: { id: codeClient.id, secret: codeClient.secret } } : {}),
    get key() {
      return key;
    },
    async token(resource, scope = "waygate:tools:list waygate:tools:call") {
      const response = await fetch(`${issuer}/token`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString("base64")}`,
        },
        body: new URLSearchParams({ grant_type: "client_credentials", scope, resource }),
      });
      const body = (await response.json()) as { access_token?: string; error?: string };
      if (!body.access_token) throw new Error(`the provider issued no token: ${JSON.stringify(body)}`);
      return body.access_token;
    },
    async rotateKey() {
      key = await newSigningKey();
      mount();
      return key;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
