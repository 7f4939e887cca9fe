// A caller's sign-in to a per-user upstream, asked for inside a call: a client that can open URLs is asked to open
// the link and the call waits; any other client gets the link in an error result.
import type { CallToolResult } from "@modelcontextprotocol/client";
import { errorResult } from "@waygate/plugin-sdk";
import { SIGN_IN_META_KEY } from "../../policy/call-policy.js";
import type { HostCallContext } from "../hosted-plugin.js";
import type { SignIns } from "./sign-ins.js";
import { UserTokenProvider, type UserTokenScope } from "./user-token-provider.js";

/** What `askToSignIn` answers when the sign-in finished during the call. */
export const SIGNED_IN = Symbol("signed in");

/** What a sign-in needs from its gateway. */
export interface SignInDeps {
  scope: UserTokenScope;
  signIns: SignIns;
  /** `<publicUrl>/oauth/upstream/start/<id>`. */
  startUrl: (signInId: string) => string;
}

/**
 * Starts the principal's sign-in to `server`. A client that can open URLs (URL-mode elicitation) is asked to open the
 * link, and the call waits for the sign-in to finish (SIGNED_IN); other clients get the link in an error result,
 * telling them to use the upstream's tools (`asked`: the call was the sign-in tool) or to call the tool again.
 */
export async function askToSignIn(
  deps: SignInDeps,
  server: string,
  principal: string,
  ctx: HostCallContext,
  asked: boolean,
): Promise<CallToolResult | typeof SIGNED_IN> {
  const { scope, signIns } = deps;
  let signIn = signIns.current(server, principal);
  if (!signIn || signIn.opened) {
    signIn = signIns.begin(server, principal);
    try {
      await new UserTokenProvider(scope, principal, signIn).authorizationUrl();
    } catch (error) {
      signIns.finish(signIn, error as Error);
      return errorResult(`Could not start the sign-in to ${server}: ${(error as Error).message}`);
    }
  }
  const link = deps.startUrl(signIn.id);
  const message = `Sign in to ${server} with your own account: open ${link} in your browser (the link works once, for 10 minutes)`;
  if (ctx.clientRequests && ctx.clientCapabilities?.elicitation?.url) {
    const answer = await ctx.clientRequests.elicitInput({
      mode: "url",
      message: `Sign in to ${server} with your own account`,
      url: link,
      elicitationId: signIn.id,
    });
    if (answer.action !== "accept") {
      return errorResult(
        `The sign-in to ${server} was ${answer.action === "decline" ? "declined" : "cancelled"}.`,
      );
    }
    try {
      await abortable(signIn.done, ctx.signal);
    } catch (error) {
      return errorResult(`The sign-in to ${server} did not finish: ${(error as Error).message}`);
    }
    return SIGNED_IN;
  }
  const result = errorResult(`${message}, then ${asked ? "use its tools" : "call the tool again"}.`);
  return { ...result, _meta: { [SIGN_IN_META_KEY]: { server, url: link } } };
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error("the call was cancelled"));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error("the call was cancelled or timed out"));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
