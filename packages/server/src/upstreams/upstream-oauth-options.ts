import { z } from "zod";

const ClientCredentialsSchema = z
  .object({
    clientId: z.string().min(1).describe("the gateway's client id at the upstream's authorization server"),
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's reference syntax, shown to users.
    clientSecret: z.string().min(1).describe("its secret; use `${env:NAME}`"),
    scope: z
      .string()
      .min(1)
      .optional()
      .describe("scopes to ask for, space-separated (default: the upstream's)"),
    issuer: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe(
        "the authorization server expected (RFC 8414 issuer); another one named by the upstream is refused",
      ),
  })
  .strict()
  .describe("a shared service token by client credentials");

const AuthorizationCodeSchema = z
  .object({
    clientId: z
      .string()
      .min(1)
      .optional()
      .describe(
        "a client id pre-registered at the upstream's authorization server (give this or `clientMetadataUrl`)",
      ),
    clientSecret: z
      .string()
      .min(1)
      .optional()
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's reference syntax, shown to users.
      .describe("the pre-registered client's secret, for a confidential client; use `${env:NAME}`"),
    clientMetadataUrl: z
      .url({ protocol: /^https$/ })
      .optional()
      .describe(
        "an https Client ID Metadata Document URL to use as the client id, for authorization servers that accept them",
      ),
    scope: z
      .string()
      .min(1)
      .optional()
      .describe(
        "scopes to ask for, space-separated; add `offline_access` where the server needs it for refresh",
      ),
    issuer: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe(
        "the authorization server expected (RFC 8414 issuer); another one named by the upstream is refused",
      ),
    publicUrl: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe(
        "the gateway's public origin for the sign-in links and the callback `<publicUrl>/oauth/upstream/callback` (default: `oauth.publicUrl`)",
      ),
    maxConnections: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(100)
      .describe(
        "upstream connections kept open at once (one per signed-in principal); the least recently used closes",
      ),
    idleCloseMs: z
      .number()
      .int()
      .min(1_000)
      .default(300_000)
      .describe("a principal's connection idle this long is closed (it reopens on the next call)"),
    refreshBeforeExpirySeconds: z
      .number()
      .int()
      .min(0)
      .max(3_600)
      .default(60)
      .describe("an access token this close to its expiry is refreshed before it is used"),
  })
  .strict()
  .refine((value) => (value.clientId === undefined) !== (value.clientMetadataUrl === undefined), {
    message:
      "give exactly one of `clientId` (pre-registered) or `clientMetadataUrl` (a Client ID Metadata Document)",
  })
  .refine((value) => value.clientSecret === undefined || value.clientId !== undefined, {
    message: "`clientSecret` goes with a pre-registered `clientId`",
    path: ["clientSecret"],
  })
  .describe("a token per Waygate principal (API key or OAuth subject) by authorization code + PKCE");

/**
 * How Waygate gets OAuth access tokens for a remote upstream that requires them, from the authorization server the
 * upstream's protected resource metadata names, for the upstream's resource (RFC 8707). `clientCredentials`: one
 * shared service token per upstream (RFC 6749 §4.4), in memory only. `authorizationCode`: one token per principal,
 * obtained when that principal signs in through a link, stored sealed in the database, refreshed before expiry.
 */
export const UpstreamOAuthSchema = z
  .object({
    clientCredentials: ClientCredentialsSchema.optional(),
    authorizationCode: AuthorizationCodeSchema.optional(),
  })
  .strict()
  .refine((value) => (value.clientCredentials === undefined) !== (value.authorizationCode === undefined), {
    message:
      "give exactly one of `clientCredentials` (a shared service token) or `authorizationCode` (per-user tokens)",
  });

/** Settings of one upstream's OAuth. */
export type UpstreamOAuth = z.output<typeof UpstreamOAuthSchema>;
/** Settings of an upstream whose tokens are per principal. */
export type UpstreamUserOAuth = z.output<typeof AuthorizationCodeSchema>;
