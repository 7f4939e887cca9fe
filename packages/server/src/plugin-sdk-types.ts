import type { CallToolResult, CreateMessageRequestParams, Tool } from "@modelcontextprotocol/sdk/types.js";
import type { ClientRequests, WaygatePlugin } from "@waygate/plugin-sdk";

// @waygate/plugin-sdk speaks the MCP SDK v2's types; this server's MCP front end is still on SDK v1 until it moves
// to v2's handler. Where the two meet they describe the same JSON, and v1's types are looser everywhere but in
// three places, which these functions are the one place to cross. Nothing is converted at run time: the only
// value v1 cannot carry faithfully is a non-object `structuredContent` (and a non-object `outputSchema` root) from
// a 2026-07-28 upstream, which v2's front end wraps as `{ result }` for 2025-era clients and this one passes as is.

type PluginTool = Awaited<ReturnType<WaygatePlugin["listTools"]>>[number];
type PluginCallToolResult = Awaited<ReturnType<WaygatePlugin["callTool"]>>;
type PluginCreateMessageParams = Parameters<ClientRequests["createMessage"]>[0];

/** v2 types a property schema as any JSON value (`true` is a JSON Schema too); v1 as an object. */
export const asV1Tools = (tools: PluginTool[]): Tool[] => tools as unknown as Tool[];

/** v2 allows any JSON value as `structuredContent` (SEP-2106); v1 only an object. Takes the pending call as is. */
export const asV1CallToolResult = (result: Promise<PluginCallToolResult>): Promise<CallToolResult> =>
  result as unknown as Promise<CallToolResult>;

/** v2's sampling tool-result content is typed more strictly than v1's; the request is passed on unchanged. */
export const asV1CreateMessageParams = (params: PluginCreateMessageParams): CreateMessageRequestParams =>
  params as unknown as CreateMessageRequestParams;
