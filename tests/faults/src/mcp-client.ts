import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

/** Connects the official SDK client to `<url>/mcp` with a key. */
export async function connectClient(url: string, key: string): Promise<Client> {
  const client = new Client({ name: "waygate-faults", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${key}` } },
    }),
  );
  return client;
}

/** A tool call's outcome as the caller sees it: the text, whether it is an error, and how long it took. */
export interface CallOutcome {
  text: string;
  isError: boolean;
  ms: number;
}

/** Calls a tool and never throws: protocol errors become `isError` outcomes with their message. */
export async function callTool(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
  timeoutMs = 60_000,
): Promise<CallOutcome> {
  const started = performance.now();
  try {
    const result = (await client.callTool({ name, arguments: args }, undefined, {
      timeout: timeoutMs,
    })) as CallToolResult;
    const text = result.content.map((part) => (part.type === "text" ? part.text : `[${part.type}]`)).join("");
    return { text, isError: result.isError === true, ms: performance.now() - started };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const detail = cause ? ` (${cause.code ?? cause.message})` : "";
    return { text: `${(error as Error).message}${detail}`, isError: true, ms: performance.now() - started };
  }
}

/** Body of `POST /mcp/execute`: the tool's result, or an error with a stable code. */
export interface ExecuteBody {
  result?: { content?: { type: string; text?: string }[]; isError?: boolean };
  error?: { code: string; message: string; requestId?: string };
}

/** A REST call to `POST /mcp/execute`: status and parsed body. */
export async function execute(
  url: string,
  key: string,
  tool: string,
  args: Record<string, unknown> = {},
): Promise<{ status: number; body: ExecuteBody }> {
  const response = await fetch(`${url}/mcp/execute`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ tool, arguments: args }),
  });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: { error: { code: "not_json", message: text } } };
  }
}
