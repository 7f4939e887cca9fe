import { describe, expect, it } from "vitest";
import { apiKeyPrefixOf, createKeyHasher, generateApiKey, hashesEqual } from "../src/api-keys/key-format.js";
import { SecretKeyError } from "../src/index.js";

function refusal(secretKey: unknown): SecretKeyError {
  try {
    createKeyHasher(secretKey as string);
  } catch (error) {
    if (SecretKeyError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("expected a SecretKeyError");
}

describe("createKeyHasher", () => {
  it("accepts a secret key of exactly 32 characters and refuses 31, saying how long it was", () => {
    expect(createKeyHasher("k".repeat(32))("wg_x")).toHaveLength(32);
    expect(refusal("k".repeat(31)).message).toMatch(
      /^WAYGATE_SECRET_KEY must be at least 32 characters long \(got 31\); generate one with `openssl rand -hex 32`/,
    );
  });

  it("refuses a secret key that is not a string with SecretKeyError, not a TypeError", () => {
    expect(refusal(undefined).message).toContain("(got none)");
    expect(refusal({ length: 40 }).code).toBe("SECRET_KEY_INVALID");
  });

  it("hashes with the secret key: another key gives another hash", () => {
    const plaintext = generateApiKey().plaintext;
    const a = createKeyHasher("a".repeat(32))(plaintext);
    expect(a.equals(createKeyHasher("a".repeat(32))(plaintext))).toBe(true);
    expect(a.equals(createKeyHasher("b".repeat(32))(plaintext))).toBe(false);
  });
});

describe("hashesEqual", () => {
  it("is true for equal hashes and false for different ones, also of different lengths", () => {
    expect(hashesEqual(Buffer.from("abcd"), Buffer.from("abcd"))).toBe(true);
    expect(hashesEqual(Buffer.from("abcd"), Buffer.from("abce"))).toBe(false);
    expect(hashesEqual(Buffer.from("abcd"), Buffer.from("abc"))).toBe(false);
  });
});

describe("apiKeyPrefixOf", () => {
  it("returns the lookup prefix of a generated key and null for anything shaped otherwise", () => {
    const { plaintext, prefix } = generateApiKey();
    expect(apiKeyPrefixOf(plaintext)).toBe(prefix);
    for (const text of [
      `${plaintext}x`,
      plaintext.slice(0, -1),
      `x${plaintext}`,
      plaintext.replace("wg_", "WG_"),
      `wg_ABCDEFGHIJKL_${plaintext.slice(16)}`,
    ]) {
      expect(apiKeyPrefixOf(text), text).toBeNull();
    }
  });
});
