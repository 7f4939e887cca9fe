import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { restErrorBody, toPublicError } from "../errors/error-mapping.js";
import { GatewayError, type GatewayErrorCode } from "../errors/errors.js";

const REFUSALS: Record<string, { code: GatewayErrorCode; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    code: "request_timeout",
    message:
      "The request did not arrive in time: its headers must arrive within timeouts.headersMs and all of it within timeouts.requestMs. The connection is closed.",
  },
  HPE_HEADER_OVERFLOW: {
    code: "headers_too_large",
    message: "The request's headers are larger than the server accepts. The connection is closed.",
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: {
    code: "payload_too_large",
    message: "The request's chunk extensions are larger than the server accepts. The connection is closed.",
  },
};
const MALFORMED = {
  code: "bad_request",
  message: "The request is not valid HTTP. The connection is closed.",
} as const;

/** The raw HTTP answer to a request Node's parser gave up on: a REST error body, then the connection closes. */
export function clientErrorResponse(errorCode: string | undefined): string {
  const { code, message } = REFUSALS[errorCode ?? ""] ?? MALFORMED;
  const refusal = toPublicError(new GatewayError(code, message), true);
  const body = JSON.stringify(restErrorBody(refusal, undefined));
  return [
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}`,
    "Content-Type: application/json; charset=utf-8",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Connection: close",
    "",
    body,
  ].join("\r\n");
}

/**
 * `clientError` listener: answers as Node does by default (408 for a request past headersMs or requestMs, 431
 * for oversized headers, 400 otherwise) but with the gateway's JSON error body, then closes the connection.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  // Node's own rule: write only when no response on this connection has started sending.
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  socket.end(clientErrorResponse(error.code), () => socket.destroy());
}
