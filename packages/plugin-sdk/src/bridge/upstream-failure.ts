import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import {
  CallCancelledError,
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
}

/** Turns an SDK client failure into a Waygate error whose message says what happened and what follows. */
export function describeUpstreamFailure(error: unknown, op: FailedOperation): PluginError {
  if (PluginError.isInstance(error)) return error;
  if (op.signal.aborted) {
    return new CallCancelledError(`${op.operation} on upstream '${op.upstream}' was cancelled by the caller`);
  }
  if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) {
    return new UpstreamTimeoutError(
      `Upstream '${op.upstream}' did not answer ${op.operation} within ${op.timeoutMs} ms; the request was cancelled upstream`,
      { cause: error },
    );
  }
  if (error instanceof McpError && error.code === ErrorCode.ConnectionClosed) {
    const reason = op.closeReason ? ` (${op.closeReason})` : "";
    return new UpstreamClosedError(
      `Upstream '${op.upstream}' closed the connection during ${op.operation}${reason}; the bridge is reconnecting`,
      { cause: error },
    );
  }
  if (error instanceof McpError) {
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
