import { createHmac, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import { SecretKeyError } from "../errors.js";

/** Every Waygate API key starts with this, so leaked keys are easy to spot and scan for. */
export const API_KEY_PREFIX = "wg_";
const LOOKUP_ID_LENGTH = 12;
const LOOKUP_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const SECRET_BYTES = 32;
const KEY_PATTERN = /^wg_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
const MIN_SECRET_KEY_LENGTH = 32;

/**
 * A Waygate key anywhere in free text, as a regular-expression source: no word boundary (a key glued to other
 * text is still a key), and a secret cut short after 20 characters still counts.
 */
export const API_KEY_IN_TEXT_SOURCE = `${API_KEY_PREFIX}[a-z0-9]{${LOOKUP_ID_LENGTH}}_[A-Za-z0-9_-]{20,}`;

/** A freshly generated key: the plaintext (shown once) and the prefix it is looked up by. */
export interface GeneratedKey {
  plaintext: string;
  prefix: string;
}

/** Makes `wg_<12 lookup chars>_<32 random bytes, base64url>`. */
export function generateApiKey(): GeneratedKey {
  let lookup = "";
  for (let i = 0; i < LOOKUP_ID_LENGTH; i++) lookup += LOOKUP_ALPHABET[randomInt(LOOKUP_ALPHABET.length)];
  const secret = randomBytes(SECRET_BYTES).toString("base64url");
  return { plaintext: `${API_KEY_PREFIX}${lookup}_${secret}`, prefix: `${API_KEY_PREFIX}${lookup}` };
}

/** The lookup prefix of a well-formed key, or `null` when the text is not a Waygate key. */
export function apiKeyPrefixOf(plaintext: string): string | null {
  const match = KEY_PATTERN.exec(plaintext);
  return match ? `${API_KEY_PREFIX}${match[1]}` : null;
}

/** Checks `WAYGATE_SECRET_KEY` and returns a hasher keyed by it. */
export function createKeyHasher(secretKey: string): (plaintext: string) => Buffer {
  if (typeof secretKey !== "string" || secretKey.length < MIN_SECRET_KEY_LENGTH) {
    throw new SecretKeyError(
      `WAYGATE_SECRET_KEY must be at least ${MIN_SECRET_KEY_LENGTH} characters long (got ${typeof secretKey === "string" ? secretKey.length : "none"}); ` +
        "generate one with `openssl rand -hex 32` and keep it stable, because API-key hashes depend on it.",
    );
  }
  return (plaintext) => createHmac("sha256", secretKey).update(plaintext).digest();
}

/** Constant-time comparison of two hashes of the same length. */
export function hashesEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
