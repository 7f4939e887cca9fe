import { toPublicError } from "./error-mapping.js";

/** An error the MCP SDK turns into a JSON-RPC error response with our code, message and data. */
export class JsonRpcFailure extends Error {
  readonly code: number;
  readonly data: { code: string; requestId?: string; [detail: string]: unknown };

  constructor(code: number, message: string, data: JsonRpcFailure["data"]) {
    super(message);
    this.name = "JsonRpcFailure";
    this.code = code;
    this.data = data;
  }
}

/** Maps any thrown value to a JsonRpcFailure for the SDK to send. */
export function toJsonRpcFailure(
  error: unknown,
  requestId: string | undefined,
  production: boolean,
): JsonRpcFailure {
  const mapped = toPublicError(error, production);
  return new JsonRpcFailure(mapped.jsonRpcCode, mapped.message, {
    code: mapped.code,
    ...(requestId ? { requestId } : {}),
  });
}
