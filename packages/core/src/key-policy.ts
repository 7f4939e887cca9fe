// Every export of this file is public API (the `@waygate/core/key-policy` entry, which loads no database driver).
import { z } from "zod";

/** Defaults and limits for new API keys, however they are created (CLI, admin API). */
export const KeyPolicySchema = z.strictObject({
  defaultScopes: z
    .array(z.string().min(1))
    .default(["tools:list", "tools:call"])
    .describe("scopes a new key gets when none are given"),
  defaultToolPatterns: z
    .array(z.string().min(1))
    .default(["*"])
    .describe("tool patterns a new key may call when none are given"),
  defaultRateLimitPerMinute: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("requests per minute for a new key when none is given"),
  maxExpiresInDays: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("longest lifetime a new key may have; keys without an expiry are refused when set"),
});
/** The key policy after defaults. */
export type KeyPolicy = z.output<typeof KeyPolicySchema>;

/** What a caller asks for; fields left out take the policy's defaults. */
export interface KeyRequest {
  scopes?: readonly string[] | undefined;
  toolPatterns?: readonly string[] | undefined;
  rateLimitPerMinute?: number | null | undefined;
  expiresAt?: Date | null | undefined;
}

/** A key request after the policy's defaults, ready for `apiKeys.create`. */
export interface ResolvedKeyRequest {
  scopes: string[];
  toolPatterns: string[];
  rateLimitPerMinute: number | null;
  expiresAt: Date | null;
}

/**
 * Why a request breaks the policy. `message` says what is wrong; each interface adds the fix in its own terms
 * (`--expires-in` for the CLI, `expiresAt` for the admin API), using `latestExpiry` where given.
 */
export type KeyPolicyIssue =
  | { field: "scopes"; unknown: string[]; message: string }
  | { field: "expiresAt"; message: string; latestExpiry?: Date; maxExpiresInDays?: number };

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Applies the key policy to a request: fills in defaults, refuses scopes outside `knownScopes` (the scopes the
 * gateway checks), and an expiry that is missing, past or beyond `maxExpiresInDays`.
 */
export function applyKeyPolicy(
  policy: KeyPolicy,
  request: KeyRequest,
  options: { knownScopes: readonly string[]; now?: Date },
): { ok: true; key: ResolvedKeyRequest } | { ok: false; issues: KeyPolicyIssue[] } {
  const now = options.now ?? new Date();
  const key: ResolvedKeyRequest = {
    scopes: [...(request.scopes ?? policy.defaultScopes)],
    toolPatterns: [...(request.toolPatterns ?? policy.defaultToolPatterns)],
    rateLimitPerMinute:
      request.rateLimitPerMinute === undefined
        ? (policy.defaultRateLimitPerMinute ?? null)
        : request.rateLimitPerMinute,
    expiresAt: request.expiresAt ?? null,
  };
  const issues: KeyPolicyIssue[] = [];
  const unknown = key.scopes.filter((scope) => !options.knownScopes.includes(scope));
  if (unknown.length > 0) {
    issues.push({
      field: "scopes",
      unknown,
      message: `unknown scope(s) ${unknown.map((scope) => `"${scope}"`).join(", ")}: use ${options.knownScopes.join(", ")}`,
    });
  }
  const expiryIssue = checkExpiry(policy, key.expiresAt, now);
  if (expiryIssue) issues.push(expiryIssue);
  return issues.length === 0 ? { ok: true, key } : { ok: false, issues };
}

function checkExpiry(policy: KeyPolicy, expiresAt: Date | null, now: Date): KeyPolicyIssue | undefined {
  const max = policy.maxExpiresInDays;
  const latestExpiry = max === undefined ? undefined : new Date(now.getTime() + max * DAY_MS);
  const limits = max === undefined ? {} : { latestExpiry, maxExpiresInDays: max };
  if (expiresAt === null) {
    return max === undefined
      ? undefined
      : {
          field: "expiresAt",
          message: `the key policy requires an expiry of at most ${max} days`,
          ...limits,
        };
  }
  if (expiresAt.getTime() <= now.getTime()) {
    return { field: "expiresAt", message: "the expiry must be in the future", ...limits };
  }
  if (latestExpiry && expiresAt.getTime() > latestExpiry.getTime()) {
    return { field: "expiresAt", message: `the key policy allows keys for at most ${max} days`, ...limits };
  }
  return undefined;
}
