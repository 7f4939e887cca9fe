import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";
import { SecretUnreadableError } from "../errors.js";

const PREFIX = "wgenc:v1:";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Encrypts and decrypts stored secrets with AES-256-GCM under a key derived from `WAYGATE_SECRET_KEY`. */
export interface SecretBox {
  /** Id of the current key (a fingerprint, not the key): stored beside each value so a rotation knows what to redo. */
  readonly keyId: string;
  /** `wgenc:v1:<keyId>:<iv>:<ciphertext+tag>`; `context` (where the value lives) is authenticated, not stored. */
  seal(plaintext: string, context: string): string;
  /** The plaintext of a sealed value; a SecretUnreadableError naming the fix when no known key opens it. */
  open(sealed: string, context: string): string;
  /** The key id a sealed value was written with, or undefined for a value in clear. */
  keyIdOf(value: string): string | undefined;
}

interface DerivedKey {
  id: string;
  key: Buffer;
}

function deriveKey(secretKey: string): DerivedKey {
  const key = Buffer.from(hkdfSync("sha256", secretKey, "waygate", "upstream secrets v1", 32));
  const id = createHash("sha256").update("waygate secret key id").update(key).digest("hex").slice(0, 16);
  return { id, key };
}

/**
 * Creates the box for `secretKey`; `previousKeys` (keys used before a rotation) can still open values they sealed,
 * but new values are always sealed with `secretKey`.
 */
export function createSecretBox(secretKey: string, previousKeys: readonly string[] = []): SecretBox {
  const current = deriveKey(secretKey);
  const known = new Map([current, ...previousKeys.map(deriveKey)].map((k) => [k.id, k.key]));

  return {
    keyId: current.id,
    seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", current.key, iv);
      cipher.setAAD(Buffer.from(context, "utf8"));
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
      return `${PREFIX}${current.id}:${iv.toString("base64url")}:${body.toString("base64url")}`;
    },
    open(sealed, context) {
      const [id = "", ivText = "", bodyText = ""] = sealed.slice(PREFIX.length).split(":");
      const key = known.get(id);
      if (!key) {
        throw new SecretUnreadableError(
          `The stored secret ${context} was encrypted under key id ${id}, but WAYGATE_SECRET_KEY gives key id ${current.id}: ` +
            "the secret key changed. Set WAYGATE_SECRET_KEY back to the key that stored it, or re-encrypt the stored secrets " +
            "with `waygate secrets rotate` and that key in WAYGATE_PREVIOUS_SECRET_KEY.",
        );
      }
      try {
        const body = Buffer.from(bodyText, "base64url");
        const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(ivText, "base64url"));
        decipher.setAAD(Buffer.from(context, "utf8"));
        decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
        return Buffer.concat([
          decipher.update(body.subarray(0, body.length - TAG_BYTES)),
          decipher.final(),
        ]).toString("utf8");
      } catch (error) {
        throw new SecretUnreadableError(
          `The stored secret ${context} does not decrypt (key id ${id}): it was edited or damaged in the database. ` +
            "Set it again (remove and re-add the server).",
          { cause: error },
        );
      }
    },
    keyIdOf(value) {
      if (!value.startsWith(PREFIX)) return undefined;
      return value.slice(PREFIX.length).split(":")[0];
    },
  };
}
