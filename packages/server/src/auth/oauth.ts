import type { Request } from "express";
import type { Caller, RequestContext } from "../http/request-context.js";
import type { Scope } from "../policy/scopes.js";
import { type AccessTokenVerifier, createAccessTokenVerifier, type VerifiedToken } from "./access-token.js";
import { callerOfToken, tokenScopesGranting } from "./oauth-caller.js";
import type { OAuthOptions } from "./oauth-options.js";
import {
  acceptedAudiences,
  bearerChallenge,
  resourceMetadataUrlOf,
  supportedScopes,
} from "./resource-metadata.js";

/** Waygate as an OAuth resource server: checks access tokens and words the challenges that point clients at the issuer. */
export interface OAuthAuthenticator {
  options: OAuthOptions;
  /** Verifies a token presented on `path` and returns its caller; throws the AuthError (401) of a refused token. */
  authenticate(token: string, path: string): Promise<Caller>;
  /** The challenge builder the request context keeps, for the errors of a request to `path`. */
  challengeFor(path: string, context: RequestContext): NonNullable<RequestContext["challenge"]>;
}

/** The path a request was sent to, whatever router it has reached (`req.path` is relative inside a mounted router). */
export function requestPath(req: Request): string {
  return new URL(req.originalUrl, "http://gateway.invalid").pathname;
}

/** Creates the resource-server side of OAuth from validated options. */
export function createOAuthAuthenticator(
  options: OAuthOptions,
  verifier: AccessTokenVerifier = createAccessTokenVerifier(options),
  callerOf: (token: VerifiedToken) => Promise<Caller> = async (token) => callerOfToken(token, options),
): OAuthAuthenticator {
  return {
    options,
    async authenticate(token, path) {
      const verified = await verifier.verify(token, acceptedAudiences(options, path));
      return callerOf(verified);
    },
    challengeFor(path, context) {
      const resourceMetadata = resourceMetadataUrlOf(options.publicUrl, path);
      return (error) => {
        const principal = context.caller?.principal;
        if (error.code === "forbidden") {
          if (!error.scope || !principal) return undefined;
          // Step-up: the scopes held plus one that grants the missing scope, so re-authorising keeps what worked.
          const wanted = tokenScopesGranting(error.scope as Scope, options.scopes).slice(0, 1);
          return bearerChallenge({
            resourceMetadata,
            error: "insufficient_scope",
            scope: [...new Set([...principal.tokenScopes, ...wanted])],
            ...(error.description ? { description: error.description } : {}),
          });
        }
        return bearerChallenge({
          resourceMetadata,
          scope: supportedScopes(options),
          ...(error.description ? { error: "invalid_token" as const, description: error.description } : {}),
        });
      };
    },
  };
}
