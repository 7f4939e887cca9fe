import { z } from "zod";
import { ToolPatternSchema } from "../tool-patterns.js";

/** A permission scope such as `tools:call` or `admin`. */
export const ScopeSchema = z
  .string()
  .regex(/^[a-zA-Z0-9_.:*-]{1,64}$/, "must be 1-64 characters of letters, digits, _ - . : *");

/** What `apiKeys.create` accepts. */
export const CreateApiKeyInputSchema = z.object({
  name: z.string().trim().min(1, "must not be empty").max(100),
  scopes: z.array(ScopeSchema).max(64),
  toolPatterns: z.array(ToolPatternSchema).min(1).max(256).default(["*"]),
  rateLimitPerMinute: z.number().int().positive().nullable().default(null),
  expiresAt: z.date().nullable().default(null),
});
export type CreateApiKeyInput = z.input<typeof CreateApiKeyInputSchema>;

/** An API key as shown to people and code: never the plaintext, never the hash. */
export const ApiKeyRecordSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** The public start of the key (`wg_xxxxxxxxxxxx`), safe to display. */
  prefix: z.string(),
  scopes: z.array(z.string()),
  toolPatterns: z.array(z.string()),
  rateLimitPerMinute: z.number().int().positive().nullable(),
  createdAt: z.date(),
  expiresAt: z.date().nullable(),
  revokedAt: z.date().nullable(),
  lastUsedAt: z.date().nullable(),
});
export type ApiKeyRecord = z.infer<typeof ApiKeyRecordSchema>;

/** Why a presented key was refused. */
export type ApiKeyRejection = "malformed" | "unknown" | "revoked" | "expired";

/** The outcome of `apiKeys.verify`. */
/**
 * Result of `apiKeys.verify`. A revoked or expired key that was presented whole (its hash matched) carries its
 * `keyId`, so the refusal can be audited against the key.
 */
export type ApiKeyVerification =
  | { ok: true; key: ApiKeyRecord }
  | { ok: false; reason: ApiKeyRejection; keyId?: string };
