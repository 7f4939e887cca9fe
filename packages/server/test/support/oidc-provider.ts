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
  /** Obtains an access token by client credentials for `resource` (RFC 8707) with the given scopes. */
  token(resource: string, scope?: string): Promise<string>;
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

function providerFor(
  issuer: string,
  key: SigningKey,
  client: { id: string; secret: string },
  opaque: boolean,
) {
  return new Provider(issuer, {
    clients: [
      {
        client_id: client.id,
        client_secret: client.secret,
        grant_types: ["client_credentials"],
        redirect_uris: [],
        response_types: [],
        scope: TEST_SCOPES.join(" "),
      },
    ],
    jwks: { keys: [key.privateJwk as never] },
    cookies: { keys: ["test-cookie-key-0123456789"] },
    scopes: TEST_SCOPES,
    ttl: { ClientCredentials: 300 },
    features: {
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
          accessTokenTTL: 300,
          accessTokenFormat: opaque ? "opaque" : "jwt",
          ...(opaque ? {} : { jwt: { sign: { alg: "RS256" } } }),
        }),
      },
    },
  });
}

/** Starts the provider on 127.0.0.1 on a free port. `opaque` issues opaque tokens (for introspection). */
export async function startProvider(options: { opaque?: boolean } = {}): Promise<TestProvider> {
  const client = { id: "waygate-tests", secret: "waygate-tests-secret-0123456789" };
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  const server: Server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let key = await newSigningKey();
  const mount = () => {
    handler = providerFor(issuer, key, client, options.opaque === true).callback();
  };
  mount();
  return {
    issuer,
    clientId: client.id,
    clientSecret: client.secret,
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
