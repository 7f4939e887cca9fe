// Every export of this file is public API: the `oauth` and `upstreamOAuth` options schemas, for config files.
import { z } from "zod";
import { SCOPES } from "../policy/scopes.js";

export { type UpstreamOAuth, UpstreamOAuthSchema } from "../upstreams/upstream-oauth-options.js";

/** Signature algorithms accepted by default: asymmetric only, so a token signed with a public key as an HMAC secret fails. */
export const DEFAULT_TOKEN_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
] as const;

/**
 * Token scopes granted by default and the Waygate scopes each one maps to. `admin` is deliberately absent: map it
 * yourself (`scopes: { "waygate:admin": ["admin"] }`) if your identity provider should hand out administration.
 */
export const DEFAULT_SCOPE_MAP: Record<string, (typeof SCOPES)[number][]> = {
  "waygate:tools:list": ["tools:list"],
  "waygate:tools:call": ["tools:list", "tools:call"],
  "waygate:metrics:read": ["metrics:read"],
};

const httpsOrLoopback = (what: string) =>
  z.url({ protocol: /^https?$/ }).refine((value) => {
    const url = new URL(value);
    return url.protocol === "https:" || ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  }, `${what} must use https (plain http is accepted on loopback only, for tests)`);

/** One grant by claim: what a token carrying `claim` = `value` is given, beside what its scopes map to. */
export const ClaimGrantSchema = z
  .object({
    claim: z.string().min(1).describe("the claim's name, e.g. `groups`, `roles`, `tid`"),
    value: z.union([z.string(), z.number(), z.boolean()]).describe("the value it must equal or contain"),
    scopes: z.array(z.enum(SCOPES)).default([]).describe("Waygate scopes granted"),
    toolPatterns: z
      .array(z.string().min(1))
      .nullable()
      .optional()
      .describe("capability patterns (null: all); patterns of every matching rule are combined"),
    rateLimitPerMinute: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("requests per minute; the highest of the matching rules applies"),
  })
  .strict();

/** Where the built-in authorization server lives under the public URL. */
export const BUILTIN_ISSUER_PATH = "/oauth";

/** The issuer identifier of the built-in authorization server for a public URL. */
export function builtinIssuerOf(publicUrl: string): string {
  return new URL(BUILTIN_ISSUER_PATH, publicUrl).href;
}

/** Settings of the built-in authorization server. */
export const BuiltinAuthorizationServerSchema = z
  .object({
    accessTokenTtlSeconds: z
      .number()
      .int()
      .min(60)
      .max(86_400)
      .default(900)
      .describe("lifetime of an access token, in seconds (clients refresh them)"),
    refreshTokenTtlSeconds: z
      .number()
      .int()
      .min(300)
      .default(30 * 86_400)
      .describe("lifetime of a refresh token, in seconds"),
    dynamicRegistration: z
      .boolean()
      .default(true)
      .describe("let clients register themselves (RFC 7591), as MCP clients do"),
    clientIdMetadataDocuments: z
      .boolean()
      .default(true)
      .describe(
        "accept a client id that is an https URL of its metadata (Client ID Metadata Documents), fetched through `egress`",
      ),
    signInTtlSeconds: z
      .number()
      .int()
      .min(60)
      .max(3_600)
      .default(600)
      .describe("how long the sign-in page waits for an API key, in seconds"),
  })
  .strict();

/** OAuth 2.1 resource-server settings: Waygate accepts access tokens from one external issuer beside API keys. */
export const OAuthOptionsSchema = z
  .object({
    /** The authorization server's issuer identifier; a token's `iss` must equal it, and its metadata is discovered from it. */
    issuer: httpsOrLoopback("oauth.issuer")
      .optional()
      .describe(
        "an external authorization server's issuer URL; a token's `iss` must equal it, and its metadata and keys are discovered from it (give this or `builtin`)",
      ),
    /** Waygate's own authorization server at `<publicUrl>/oauth`, for deployments without an identity provider. */
    builtin: BuiltinAuthorizationServerSchema.optional().describe(
      "run Waygate's own authorization server at `<publicUrl>/oauth`: people sign in with a Waygate API key (give this or `issuer`)",
    ),
    /**
     * The gateway's public base URL as clients reach it (behind a TLS-terminating proxy: the proxy's https URL). The
     * resource identifiers (`<publicUrl>/mcp`, `<publicUrl>/servers/<name>/mcp`) and metadata URLs are built from it,
     * never from the request's Host header.
     */
    publicUrl: httpsOrLoopback("oauth.publicUrl")
      .refine((value) => {
        const url = new URL(value);
        return url.pathname === "/" && !url.search && !url.hash;
      }, "oauth.publicUrl must be an origin (scheme, host and port) without a path, query or fragment")
      .describe(
        "the gateway's public origin as clients reach it (behind a TLS proxy, the proxy's https URL); resources are `<publicUrl>/mcp` and `<publicUrl>/servers/<name>/mcp`",
      ),
    /**
     * Further audiences a token may carry instead of the endpoint's resource URL, for identity providers that put
     * a fixed audience in tokens (Keycloak's audience mapper, Entra ID's `api://…` application ID URI).
     */
    audiences: z
      .array(z.string().min(1))
      .default([])
      .describe(
        "further token audiences accepted, e.g. Entra ID's `api://<app id>` or a Keycloak audience mapper's value",
      ),
    /** The issuer's JWKS; discovered from its metadata (RFC 8414, then OpenID Connect discovery) when unset. */
    jwksUri: httpsOrLoopback("oauth.jwksUri")
      .optional()
      .describe("the issuer's JWKS URL (default: discovered)"),
    /** Check tokens by RFC 7662 introspection instead of as JWTs (for opaque tokens). */
    introspection: z
      .object({
        /** Discovered (`introspection_endpoint`) when unset. */
        endpoint: httpsOrLoopback("oauth.introspection.endpoint")
          .optional()
          .describe("RFC 7662 endpoint (default: discovered)"),
        clientId: z.string().min(1).describe("the gateway's client id at the issuer"),
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's reference syntax, shown to users.
        clientSecret: z.string().min(1).describe("its secret; use `${env:NAME}`"),
        /** Reuses answers so that not every request costs a round trip to the issuer. */
        cache: z
          .object({
            maxEntries: z
              .number()
              .int()
              .min(0)
              .max(1_000_000)
              .default(10_000)
              .describe("answers kept at most (0: no cache)"),
            ttlSeconds: z
              .number()
              .int()
              .min(0)
              .max(3_600)
              .default(60)
              .describe("an active token's answer is reused this long at most, never past its `exp`"),
            negativeTtlSeconds: z
              .number()
              .int()
              .min(0)
              .max(60)
              .default(5)
              .describe(
                "an inactive token's answer is reused this long (a revocation at the issuer shows after at most ttlSeconds)",
              ),
          })
          .strict()
          .default({ maxEntries: 10_000, ttlSeconds: 60, negativeTtlSeconds: 5 })
          .describe("reuse of introspection answers: bounded, never past the token's expiry"),
      })
      .optional()
      .describe("check tokens by introspection (opaque tokens) instead of as JWTs"),
    /** JWT signature algorithms accepted. */
    algorithms: z
      .array(z.string().min(1))
      .min(1)
      .default([...DEFAULT_TOKEN_ALGORITHMS])
      .describe("JWT signature algorithms accepted (asymmetric only by default)"),
    /** Clock skew allowed on `exp`, `nbf` and `iat`, in seconds. */
    clockSkewSeconds: z
      .number()
      .int()
      .min(0)
      .max(600)
      .default(60)
      .describe("clock skew allowed on exp and nbf, in seconds"),
    /**
     * Least time between two JWKS fetches, in milliseconds: a token with an unknown `kid` refetches the key set (key
     * rotation) at most this often.
     */
    jwksCooldownMs: z
      .number()
      .int()
      .min(0)
      .default(30_000)
      .describe("least time between two JWKS fetches (an unknown kid refetches, for key rotation)"),
    /** Deadline of one request to the issuer (metadata, JWKS, introspection), in milliseconds. */
    issuerTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(5_000)
      .describe("deadline of a request to the issuer (metadata, JWKS, introspection)"),
    /** Token scope → Waygate scopes it grants. Scopes not listed grant nothing. */
    scopes: z
      .record(z.string().min(1), z.array(z.enum(SCOPES)))
      .default(DEFAULT_SCOPE_MAP)
      .describe("token scope → the Waygate scopes it grants; other token scopes grant nothing"),
    /**
     * Grants by claim: a token whose claim equals the value (or, for an array claim such as `groups`, contains it)
     * gets the rule's scopes too, and its capability patterns and rate limit instead of the defaults below.
     */
    claims: z
      .array(ClaimGrantSchema)
      .default([])
      .describe("grants by token claim, e.g. { claim: 'groups', value: 'mcp-admins', scopes: ['admin'] }"),
    /** Capability patterns of every OAuth caller (as an API key's `toolPatterns`); null allows every capability. */
    toolPatterns: z
      .array(z.string().min(1))
      .nullable()
      .default(null)
      .describe("capability patterns of every OAuth caller, as an API key's (null: all)"),
    /** Requests per minute of each OAuth principal; null uses the gateway's default limit. */
    rateLimitPerMinute: z
      .number()
      .int()
      .positive()
      .nullable()
      .default(null)
      .describe("requests per minute of each OAuth principal (null: the gateway's default)"),
    /** `resource_name` in the protected resource metadata. */
    resourceName: z
      .string()
      .min(1)
      .default("Waygate MCP gateway")
      .describe("`resource_name` in the protected resource metadata"),
  })
  .strict()
  .superRefine((options, ctx) => {
    const own = builtinIssuerOf(options.publicUrl);
    if (!options.builtin && !options.issuer) {
      ctx.addIssue({
        code: "custom",
        path: ["issuer"],
        message: "give oauth.issuer (an external authorization server) or oauth.builtin (Waygate's own)",
      });
    }
    // A parsed config is parsed again by the gateway: the built-in issuer it filled in is not a second issuer.
    if (options.builtin && options.issuer && options.issuer !== own) {
      ctx.addIssue({
        code: "custom",
        path: ["issuer"],
        message:
          "oauth.issuer and oauth.builtin exclude each other: use an external issuer or the built-in one",
      });
    }
    if (options.builtin && (options.jwksUri || options.introspection)) {
      ctx.addIssue({
        code: "custom",
        path: ["builtin"],
        message:
          "oauth.jwksUri and oauth.introspection are for an external issuer; the built-in one needs neither",
      });
    }
  })
  .transform((options) => ({ ...options, issuer: options.issuer ?? builtinIssuerOf(options.publicUrl) }));

/** One grant by claim after defaults. */
export type ClaimGrant = z.output<typeof ClaimGrantSchema>;
/** OAuth settings as given. */
export type OAuthOptionsInput = z.input<typeof OAuthOptionsSchema>;
/** OAuth settings after defaults. */
export type OAuthOptions = z.output<typeof OAuthOptionsSchema>;
