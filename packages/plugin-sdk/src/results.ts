import type { CallToolResult } from "@modelcontextprotocol/client";
import { errorMessage } from "./errors.js";

/** A successful tool result holding one text block. */
export function textResult(text: string): CallToolResult {
  return { content: [{ type: "text", text }] };
}

/** A failed tool result (`isError: true`) whose text tells the caller what went wrong. */
export function errorResult(message: string): CallToolResult {
  return { content: [{ type: "text", text: message }], isError: true };
}

/** A successful result carrying `structuredContent`, with the same JSON as text for older clients. */
export function jsonResult(value: Record<string, unknown>): CallToolResult {
  return { content: [{ type: "text", text: JSON.stringify(value) }], structuredContent: value };
}

function looksLikeCallToolResult(value: unknown): value is CallToolResult {
  return (
    typeof value === "object" && value !== null && Array.isArray((value as { content?: unknown }).content)
  );
}

/**
 * Turns what a handler returned into a tool result: a CallToolResult passes through, a string becomes
 * text, `undefined` becomes an empty result, and any other value becomes JSON text.
 */
export function toCallToolResult(value: unknown): CallToolResult {
  if (looksLikeCallToolResult(value)) return value;
  if (value === undefined) return { content: [] };
  if (typeof value === "string") return textResult(value);
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    return jsonResult(value as Record<string, unknown>);
  }
  return textResult(JSON.stringify(value));
}

/**
 * `_meta` key marking an error result as a failure of the call itself (a tool that threw, an upstream that could not
 * be reached or refused the request), not an answer the tool chose to give. A host may hide such a message from
 * callers (it can name paths, URLs or internal errors) and keep it in its logs.
 */
export const FAILURE_META_KEY = "io.waygate/failure";

/** An error result for a call that failed, marked with {@link FAILURE_META_KEY}. */
export function failureResult(message: string): CallToolResult {
  return { content: [{ type: "text", text: message }], isError: true, _meta: { [FAILURE_META_KEY]: true } };
}

/** An error result for an exception thrown by a tool, naming the tool. */
export function thrownToolResult(toolName: string, error: unknown): CallToolResult {
  return failureResult(`Tool '${toolName}' failed: ${errorMessage(error)}`);
}
