/** Scopes the gateway checks. `admin` implies every other scope. */
export const SCOPES = ["tools:list", "tools:call", "admin", "metrics:read"] as const;
/** One of the scopes the gateway checks. */
export type Scope = (typeof SCOPES)[number];

/** True when the granted scopes include the required one (directly or through `admin`). */
export function hasScope(granted: readonly string[], required: Scope): boolean {
  return granted.includes(required) || granted.includes("admin");
}
