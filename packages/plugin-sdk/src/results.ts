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

/** An error result for an exception thrown by a tool, naming the tool. */
export function thrownToolResult(toolName: string, error: unknown): CallToolResult {
  return errorResult(`Tool '${toolName}' failed: ${errorMessage(error)}`);
}
