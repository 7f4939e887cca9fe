import { z } from "zod";

/**
 * How Waygate gets OAuth access tokens for a remote upstream that requires them. `clientCredentials`: one shared
 * service token per upstream (RFC 6749 §4.4), from the authorization server the upstream's protected resource metadata
 * names, for the upstream's resource (RFC 8707). Tokens live in memory only and are fetched again on a 401.
 */
export const UpstreamOAuthSchema = z
  .object({
    clientCredentials: z
      .object({
        clientId: z
          .string()
          .min(1)
          .describe("the gateway's client id at the upstream's authorization server"),
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
      .describe("a shared service token by client credentials"),
  })
  .strict();

/** Settings of one upstream's OAuth. */
export type UpstreamOAuth = z.output<typeof UpstreamOAuthSchema>;
