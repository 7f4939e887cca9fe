import { ProtocolError, ProtocolErrorCode, SdkError, SdkErrorCode } from "@modelcontextprotocol/client";
import {
  CallCancelledError,
  ClientCapabilityRequiredError,
  errorMessage,
  PluginError,
  UpstreamClosedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from "../errors.js";

/** What was being done when an upstream request failed, for the error message. */
export interface FailedOperation {
  upstream: string;
  /** e.g. "tools/call 'echo'" or "resources/read 'file:///x'". */
  operation: string;
  timeoutMs: number;
  signal: AbortSignal;
  /** Why the connection closed, when known (exit code, size cap, ...). */
  closeReason: string | undefined;
  /** Whether the upstream closed the connection (rather than the client after a failure). */
  closedByPeer?: boolean;
}

/** Turns an SDK client failure into a Waygate error whose message says what happened and what follows. */
export function describeUpstreamFailure(error: unknown, op: FailedOperation): PluginError {
  if (PluginError.isInstance(error)) return error;
  if (op.signal.aborted) {
    return new CallCancelledError(`${op.operation} on upstream '${op.upstream}' was cancelled by the caller`);
  }
  if (SdkError.isInstance(error) && error.code === SdkErrorCode.RequestTimeout) {
    return new UpstreamTimeoutError(
      `Upstream '${op.upstream}' did not answer ${op.operation} within ${op.timeoutMs} ms; the request was cancelled upstream`,
      { cause: error },
    );
  }
  // A connection that closes while the SDK probes the era fails connect() with EraNegotiationFailed.
  const closedDuringProbe =
    op.closedByPeer === true &&
    SdkError.isInstance(error) &&
    error.code === SdkErrorCode.EraNegotiationFailed;
  if (closedDuringProbe || (SdkError.isInstance(error) && error.code === SdkErrorCode.ConnectionClosed)) {
    const reason = op.closeReason ? ` (${op.closeReason})` : "";
    return new UpstreamClosedError(
      `Upstream '${op.upstream}' closed the connection during ${op.operation}${reason}; the bridge is reconnecting`,
      { cause: error },
    );
  }
  if (ProtocolError.isInstance(error) && error.code === ProtocolErrorCode.MissingRequiredClientCapability) {
    const data = error.data as { requiredCapabilities?: Record<string, unknown> } | undefined;
    return new ClientCapabilityRequiredError(
      `Upstream '${op.upstream}' needs a capability the client did not declare: ${error.message}`,
      data?.requiredCapabilities ?? {},
      { cause: error },
    );
  }
  if (ProtocolError.isInstance(error)) {
    return new UpstreamUnavailableError(
      `Upstream '${op.upstream}' rejected ${op.operation}: ${error.message}`,
      {
        cause: error,
      },
    );
  }
  return new UpstreamUnavailableError(
    `Upstream '${op.upstream}' failed ${op.operation}: ${errorMessage(error)}`,
    {
      cause: error,
    },
  );
}
