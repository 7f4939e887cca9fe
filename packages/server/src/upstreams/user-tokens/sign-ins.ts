import { randomBytes, timingSafeEqual } from "node:crypto";

/** One sign-in a principal started and has not finished: what its link, browser cookie and callback are bound to. */
export interface PendingSignIn {
  /** In the link `/oauth/upstream/start/<id>` given to the principal. */
  readonly id: string;
  readonly server: string;
  readonly principal: string;
  /** The OAuth `state` sent to the authorization server and checked on the callback. */
  readonly state: string;
  /** Set as a cookie when the link is opened; the callback must come from the browser that has it. */
  readonly browserNonce: string;
  readonly expiresAt: number;
  verifier: string | undefined;
  authorizationUrl: URL | undefined;
  /** True once the link was opened: it opens once. */
  opened: boolean;
  /** Settles when the callback stored the tokens (or failed). */
  readonly done: Promise<void>;
}

/** Sign-ins in progress on this process, bounded in number and age. */
export interface SignIns {
  begin(server: string, principal: string): PendingSignIn;
  byId(id: string): PendingSignIn | undefined;
  byState(state: string): PendingSignIn | undefined;
  /** Ends a sign-in (one use): its waiters hear `error`, or success. */
  finish(signIn: PendingSignIn, error?: Error): void;
  /** The principal's sign-in to `server` in progress, if any (a second call reuses its link). */
  current(server: string, principal: string): PendingSignIn | undefined;
}

const token = () => randomBytes(32).toString("base64url");

/** True when the two cookie values are the same, in constant time. */
export function sameNonce(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Creates the store of sign-ins in progress: each lives `ttlMs`, a principal has at most one per server, and past
 * `max` the oldest is dropped, so nobody can grow it without bound by asking for links.
 */
export function createSignIns(options: { ttlMs?: number; max?: number; now?: () => number } = {}): SignIns {
  const ttlMs = options.ttlMs ?? 600_000;
  const max = options.max ?? 1_000;
  const now = options.now ?? Date.now;
  const byId = new Map<string, PendingSignIn>();
  const settlers = new WeakMap<PendingSignIn, (error?: Error) => void>();

  const live = (signIn: PendingSignIn | undefined) => {
    if (!signIn) return undefined;
    if (signIn.expiresAt > now()) return signIn;
    drop(signIn, new Error("the sign-in link expired before the sign-in finished"));
    return undefined;
  };
  function drop(signIn: PendingSignIn, error?: Error) {
    byId.delete(signIn.id);
    settlers.get(signIn)?.(error);
  }

  return {
    begin(server, principal) {
      const previous = [...byId.values()].find(
        (entry) => entry.server === server && entry.principal === principal,
      );
      if (previous) drop(previous, new Error("a newer sign-in replaced this one"));
      while (byId.size >= max) {
        const oldest = byId.values().next().value;
        if (!oldest) break;
        drop(oldest, new Error("too many sign-ins in progress; this one was dropped"));
      }
      let settle: (error?: Error) => void = () => {};
      const done = new Promise<void>((resolve, reject) => {
        settle = (error) => (error ? reject(error) : resolve());
      });
      // Nobody may be waiting: an unheard failure must not crash the process.
      done.catch(() => {});
      const signIn: PendingSignIn = {
        id: token(),
        server,
        principal,
        state: token(),
        browserNonce: token(),
        expiresAt: now() + ttlMs,
        verifier: undefined,
        authorizationUrl: undefined,
        opened: false,
        done,
      };
      settlers.set(signIn, settle);
      byId.set(signIn.id, signIn);
      return signIn;
    },
    byId: (id) => live(byId.get(id)),
    byState: (state) => live([...byId.values()].find((entry) => entry.state === state)),
    finish: (signIn, error) => drop(signIn, error),
    current: (server, principal) =>
      live([...byId.values()].find((entry) => entry.server === server && entry.principal === principal)),
  };
}
