import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** One console sign-in in progress: what the callback must see again (`state`) and prove (`verifier`). */
export interface PendingSignIn {
  state: string;
  verifier: string;
}

/** Seals a pending sign-in into the flow cookie and opens it again; only this gateway (or its replicas) can do either. */
export interface SignInFlows {
  /** A new sign-in: its state, its PKCE verifier and S256 challenge, and the sealed cookie value. */
  begin(): Promise<PendingSignIn & { challenge: string; sealed: string }>;
  /** The pending sign-in a flow cookie holds, or null when it is missing, forged or older than `ttlMs`. */
  open(sealed: string | undefined): Promise<PendingSignIn | null>;
}

const random = () => randomBytes(32).toString("base64url");

/**
 * Creates the sealer: A256GCM with a key derived from the console's session secret (or a random one, like the session
 * cookie's), so the state and verifier never reach the page's script and cannot be read or forged from the cookie.
 */
export function createSignInFlows(options: { secret?: string | undefined; ttlMs: number }): SignInFlows {
  const key = options.secret
    ? createHash("sha256").update(`waygate-console-oauth-flow\0${options.secret}`).digest()
    : randomBytes(32);
  return {
    async begin() {
      const state = random();
      const verifier = random();
      const challenge = createHash("sha256").update(verifier).digest("base64url");
      // jose is loaded on the first sign-in, not at start: an idle gateway does not need it.
      const { EncryptJWT } = await import("jose");
      const sealed = await new EncryptJWT({ state, verifier })
        .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
        .setIssuedAt()
        .setExpirationTime(new Date(Date.now() + options.ttlMs))
        .encrypt(key);
      return { state, verifier, challenge, sealed };
    },
    async open(sealed) {
      if (!sealed) return null;
      const { jwtDecrypt } = await import("jose");
      try {
        const { payload } = await jwtDecrypt(sealed, key, { keyManagementAlgorithms: ["dir"] });
        if (typeof payload.state !== "string" || typeof payload.verifier !== "string") return null;
        return { state: payload.state, verifier: payload.verifier };
      } catch {
        return null;
      }
    },
  };
}

/** Compares the state the issuer sent back with the pending one, in constant time. */
export function stateMatches(presented: unknown, expected: string): boolean {
  if (typeof presented !== "string") return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
