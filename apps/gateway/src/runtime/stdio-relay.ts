import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { CommandContext } from "../cli/context.js";

/** A running relay between this process's stdio and a gateway's Streamable HTTP endpoint. */
export interface StdioRelay {
  /** Resolves when either side closes (the client closed stdin, or the gateway went away). */
  closed: Promise<void>;
  close(): Promise<void>;
}

function hasId(message: JSONRPCMessage): message is JSONRPCMessage & { id: string | number; method: string } {
  return "id" in message && "method" in message;
}

/** Relays JSON-RPC messages both ways; a request the gateway cannot take gets a JSON-RPC error, not silence. */
export async function relayStdio(
  url: URL,
  apiKey: string | undefined,
  context: CommandContext,
): Promise<StdioRelay> {
  const client = new StdioServerTransport();
  const upstream = new StreamableHTTPClientTransport(url, {
    requestInit: { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {} },
  });
  let finish: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const initializeIds = new Set<string | number>();

  client.onmessage = (message) => {
    if (hasId(message) && message.method === "initialize") initializeIds.add(message.id);
    upstream.send(message).catch((error: unknown) => {
      context.output.progress(`relay: ${(error as Error).message}`);
      if (hasId(message)) {
        void client.send({
          jsonrpc: "2.0",
          id: message.id,
          error: {
            code: -32603,
            message: `Waygate could not forward the request: ${(error as Error).message}`,
          },
        });
      }
    });
  };
  upstream.onmessage = (message) => {
    // The HTTP transport must send the negotiated protocol version on every later request.
    if ("id" in message && "result" in message && initializeIds.delete(message.id)) {
      const version = (message.result as { protocolVersion?: unknown }).protocolVersion;
      if (typeof version === "string") upstream.setProtocolVersion(version);
    }
    void client.send(message);
  };
  upstream.onerror = (error) => context.output.progress(`relay: ${error.message}`);
  client.onclose = () => finish();
  // A client that launched us stops us by closing our stdin.
  process.stdin.once("end", () => finish());
  upstream.onclose = () => finish();
  await upstream.start();
  await client.start();
  return {
    closed,
    async close() {
      await upstream.terminateSession().catch(() => undefined);
      await Promise.allSettled([upstream.close(), client.close()]);
    },
  };
}
