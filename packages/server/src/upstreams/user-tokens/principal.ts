import { principalOfKeyId } from "../../auth/oauth-caller.js";

/**
 * Whose upstream tokens a call uses: the API key's id, or `oauth:<subject>` for an OAuth caller (the subject, not the
 * client, so one person's several MCP clients share one sign-in). Undefined when authentication is off: nobody to
 * bind a token to.
 */
export function principalOf(keyId: string | null): string | undefined {
  if (keyId === null) return undefined;
  const oauth = principalOfKeyId(keyId);
  return oauth ? `oauth:${encodeURIComponent(oauth.subject)}` : keyId;
}
