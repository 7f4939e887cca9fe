import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import express, { type Request, type Response, Router } from "express";
import type Provider from "oidc-provider";
import type { GatewayMetrics } from "../../metrics.js";
import { hasScope, type Scope } from "../../policy/scopes.js";
import type { KeyVerifier, VerifiedKey } from "../authenticate.js";
import type { AuthFailureLimit } from "../failure-limit.js";
import type { OAuthOptions } from "../oauth-options.js";
import { supportedScopes } from "../resource-metadata.js";
import { isMetadataDocumentUrl } from "./client-metadata.js";
import { sendConsentPage, sendSignInProblem } from "./consent-page.js";
import { CONSOLE_CLIENT_ID } from "./provider.js";

/** What the sign-in routes need. */
export interface SignInDeps {
  provider: Provider;
  options: OAuthOptions;
  secretKey: string;
  verify: KeyVerifier;
  metrics: GatewayMetrics;
  failures?: AuthFailureLimit;
}

const OIDC_SCOPES = new Set(["openid", "offline_access"]);

const refusals: Record<"malformed" | "unknown" | "revoked" | "expired", string> = {
  malformed: "That is not a whole API key; paste the full key shown when it was created.",
  unknown: "That API key is not recognised.",
  revoked: "That API key has been revoked; ask an administrator for a new one.",
  expired: "That API key has expired; ask an administrator for a new one.",
};

/** The token scopes a key may hold: those whose Waygate scopes the key has, every one of them. */
export function tokenScopesForKey(key: VerifiedKey, options: OAuthOptions): string[] {
  return supportedScopes(options).filter((tokenScope) =>
    (options.scopes[tokenScope] ?? []).every((scope) => hasScope(key.scopes, scope as Scope)),
  );
}

function listOf(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/**
 * The sign-in page of the built-in authorization server (`/oauth/interaction/<uid>`): the person enters a Waygate API
 * key, and the grant gets the scopes asked for that the key holds. CSRF: the interaction is bound to its SameSite
 * cookie, the form carries an HMAC of the interaction id, and a cross-origin POST is refused.
 */
export function signInRoutes(deps: SignInDeps): Router {
  const { provider, options } = deps;
  const csrfKey = Buffer.from(hkdfSync("sha256", deps.secretKey, "waygate", "oauth sign-in csrf v1", 32));
  const csrfOf = (uid: string) => createHmac("sha256", csrfKey).update(uid).digest("base64url");
  const publicOrigin = new URL(options.publicUrl).origin;
  const router = Router();

  /** The interaction of this browser for `uid`, or undefined after answering that it cannot go on. */
  async function interactionOf(req: Request, res: Response) {
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.uid === req.params.uid) return details;
    } catch {
      // No cookie, an expired interaction or a forged uid: the same answer for each.
    }
    sendSignInProblem(
      res,
      400,
      "This sign-in has expired or was not started here. Start again from your MCP client.",
    );
    return undefined;
  }

  async function pageOf(details: Awaited<ReturnType<Provider["interactionDetails"]>>) {
    const clientId = String(details.params.client_id ?? "");
    const client = await provider.Client.find(clientId);
    const asked = String(details.params.scope ?? "")
      .split(" ")
      .filter((scope) => scope && !OIDC_SCOPES.has(scope));
    return {
      uid: details.uid,
      csrf: csrfOf(details.uid),
      // A metadata document names itself: show where it came from beside the name it claims.
      clientName: isMetadataDocumentUrl(clientId)
        ? `${client?.clientName ?? clientId} (${new URL(clientId).host})`
        : (client?.clientName ?? clientId),
      scopes: asked.length > 0 ? asked : supportedScopes(options),
      operator: clientId === CONSOLE_CLIENT_ID,
      resource: listOf(details.params.resource).join(", ") || new URL(options.publicUrl).href,
      ...(typeof details.params.redirect_uri === "string"
        ? { redirectUri: details.params.redirect_uri }
        : {}),
    };
  }

  router.get("/interaction/:uid", async (req, res, next) => {
    try {
      const details = await interactionOf(req, res);
      if (details) sendConsentPage(res, await pageOf(details));
    } catch (error) {
      next(error);
    }
  });

  router.post(
    "/interaction/:uid",
    express.urlencoded({ extended: false, limit: "4kb", parameterLimit: 10 }),
    async (req, res, next) => {
      try {
        const origin = req.header("origin");
        if (origin !== undefined && origin !== publicOrigin) {
          return sendSignInProblem(res, 403, "This form may only be sent from the gateway's own page.");
        }
        const details = await interactionOf(req, res);
        if (!details) return;
        const body = (req.body ?? {}) as Record<string, unknown>;
        const csrf = typeof body.csrf === "string" ? Buffer.from(body.csrf) : Buffer.alloc(0);
        const expected = Buffer.from(csrfOf(details.uid));
        if (csrf.length !== expected.length || !timingSafeEqual(csrf, expected)) {
          return sendSignInProblem(
            res,
            403,
            "The form was not sent from this sign-in page. Start again from your MCP client.",
          );
        }
        if (body.action === "deny") {
          return await provider.interactionFinished(
            req,
            res,
            { error: "access_denied", error_description: "the person declined to sign in" },
            { mergeWithLastSubmission: false },
          );
        }
        const page = await pageOf(details);
        const blocked = await deps.failures?.blockedFor(req);
        if (blocked !== undefined) {
          deps.metrics.authFailures.inc({ reason: "address_limited" });
          res.setHeader("Retry-After", String(blocked));
          return sendConsentPage(
            res,
            { ...page, problem: `Too many failed sign-ins; retry after ${blocked} s.` },
            429,
          );
        }
        const result = await deps.verify(typeof body.key === "string" ? body.key.trim() : "");
        if (!result.ok) {
          deps.metrics.authFailures.inc({ reason: result.reason });
          await deps.failures?.recordFailure(req).catch(() => {});
          return sendConsentPage(res, { ...page, problem: refusals[result.reason] }, 401);
        }
        const held = tokenScopesForKey(result.key, options);
        const granted = page.scopes.filter((scope) => held.includes(scope));
        if (granted.length === 0) {
          return sendConsentPage(
            res,
            {
              ...page,
              problem: `This API key holds none of the scopes asked for (${page.scopes.join(", ")}).`,
            },
            403,
          );
        }
        const clientId = String(details.params.client_id);
        const grant = new provider.Grant({ accountId: result.key.id, clientId });
        const oidcScopes = String(details.params.scope ?? "")
          .split(" ")
          .filter((scope) => OIDC_SCOPES.has(scope));
        // The provider counts every scope it knows as its own too: each is granted or refused there as well, so that
        // none is left pending. Scopes the key does not hold are refused: the token carries only what the key holds.
        const refused = page.scopes.filter((scope) => !held.includes(scope));
        grant.addOIDCScope([...oidcScopes, ...granted].join(" "));
        if (refused.length > 0) grant.rejectOIDCScope(refused.join(" "));
        const resources = listOf(details.params.resource);
        for (const resource of resources.length > 0 ? resources : [new URL(options.publicUrl).href]) {
          grant.addResourceScope(resource, granted.join(" "));
          if (refused.length > 0) grant.rejectResourceScope(resource, refused.join(" "));
        }
        const grantId = await grant.save();
        await provider.interactionFinished(
          req,
          res,
          { login: { accountId: result.key.id }, consent: { grantId } },
          { mergeWithLastSubmission: false },
        );
      } catch (error) {
        next(error);
      }
    },
  );
  return router;
}
