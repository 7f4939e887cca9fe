import { createECDH, hkdfSync } from "node:crypto";
import type { JWK } from "jose";

/** The order of the P-256 group: a derived private scalar must lie in [1, n-1]. */
const P256_ORDER = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");

function scalarOf(secretKey: string, label: string): Buffer {
  // HKDF output below the group order is taken as is; the loop is for the ~2^-32 chance it is not.
  for (let counter = 0; ; counter++) {
    const bytes = Buffer.from(hkdfSync("sha256", secretKey, "waygate", `${label} ${counter}`, 32));
    const value = BigInt(`0x${bytes.toString("hex")}`);
    if (value > 0n && value < P256_ORDER) return bytes;
  }
}

/**
 * The built-in authorization server's ES256 signing key, derived from `WAYGATE_SECRET_KEY` (HKDF, its own label): the
 * same on every restart and every replica, with nothing stored. Changing the secret key changes it, so tokens signed
 * before stop verifying and their holders sign in again.
 */
export function deriveSigningKey(secretKey: string): { privateJwk: JWK; publicJwk: JWK } {
  const d = scalarOf(secretKey, "oauth signing key v1");
  const ecdh = createECDH("prime256v1");
  ecdh.setPrivateKey(d);
  const point = ecdh.getPublicKey(); // 0x04 || x || y
  const x = point.subarray(1, 33).toString("base64url");
  const y = point.subarray(33, 65).toString("base64url");
  const publicJwk: JWK = { kty: "EC", crv: "P-256", x, y, use: "sig", alg: "ES256" };
  // The key id is a fingerprint of the public key, so a rotated secret key publishes a new kid.
  const kid = Buffer.from(hkdfSync("sha256", point, "waygate", "oauth kid", 12)).toString("base64url");
  return {
    privateJwk: { ...publicJwk, d: d.toString("base64url"), kid },
    publicJwk: { ...publicJwk, kid },
  };
}

/** Keys of the signed cookies of the sign-in flow, derived from `WAYGATE_SECRET_KEY` so that every replica reads them. */
export function deriveCookieKeys(secretKey: string): string[] {
  return [
    Buffer.from(hkdfSync("sha256", secretKey, "waygate", "oauth cookies v1", 32)).toString("base64url"),
  ];
}
