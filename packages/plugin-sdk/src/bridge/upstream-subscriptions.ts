// A resource subscription as the upstream sees it: `resources/subscribe` on a 2025 connection, a
// `subscriptions/listen` stream per resource on a 2026-07-28 one.
import { errorMessage, PluginError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { UpstreamConnection } from "./upstream-connection.js";
import { describeUpstreamFailure } from "./upstream-failure.js";

/** What a subscription needs of its bridge. */
export interface SubscriptionLink {
  readonly upstream: string;
  /** The deadline of one request to the upstream now. */
  deadlineMs(): number;
  logger(): Logger;
}

/**
 * Subscribes `connection`'s upstream to `uri`. Rejects with RESOURCE_SUBSCRIBE_UNSUPPORTED when the upstream does
 * not advertise `resources.subscribe` or does not honour the listen filter, and with its refusal (e.g. unknown URI).
 */
export async function subscribeUpstream(
  connection: UpstreamConnection,
  uri: string,
  link: SubscriptionLink,
): Promise<void> {
  const { client } = connection;
  if (!client.getServerCapabilities()?.resources?.subscribe) {
    throw new PluginError(
      "RESOURCE_SUBSCRIBE_UNSUPPORTED",
      `Cannot subscribe to '${uri}': upstream '${link.upstream}' does not offer resource subscriptions (no resources.subscribe capability)`,
    );
  }
  const options = { timeout: link.deadlineMs() };
  try {
    if (client.getProtocolEra() !== "modern") {
      await client.subscribeResource({ uri }, options);
      return;
    }
    const stream = await client.listen({ resourceSubscriptions: [uri] }, options);
    if (!stream.honoredFilter.resourceSubscriptions?.includes(uri)) {
      await stream.close();
      throw new PluginError(
        "RESOURCE_SUBSCRIBE_UNSUPPORTED",
        `Cannot subscribe to '${uri}': upstream '${link.upstream}' did not accept the subscription`,
      );
    }
    await connection.resourceStreams.get(uri)?.close();
    connection.resourceStreams.set(uri, stream);
  } catch (error) {
    throw describeUpstreamFailure(error, {
      upstream: link.upstream,
      operation: `resources/subscribe '${uri}'`,
      timeoutMs: link.deadlineMs(),
      signal: new AbortController().signal,
      closeReason: connection.closeReason,
    });
  }
}

/** Ends `connection`'s upstream subscription to `uri`; a failure is logged, since the caller has already left. */
export async function unsubscribeUpstream(
  connection: UpstreamConnection,
  uri: string,
  link: SubscriptionLink,
): Promise<void> {
  try {
    const stream = connection.resourceStreams.get(uri);
    connection.resourceStreams.delete(uri);
    if (stream) await stream.close();
    else await connection.client.unsubscribeResource({ uri }, { timeout: link.deadlineMs() });
  } catch (error) {
    link.logger().warn("upstream unsubscribe failed", { uri, error: errorMessage(error) });
  }
}
