// Baseline for the benchmark: the MCP SDK's own Streamable HTTP server with one echo tool and no gateway around it.
import { randomUUID } from "node:crypto";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import express from "express";
import { z } from "zod";

const transports = new Map();
const app = express();
app.use(express.json());
app.all("/mcp", async (req, res) => {
  const id = req.header("mcp-session-id");
  let transport = id ? transports.get(id) : undefined;
  if (!transport) {
    transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sessionId) => transports.set(sessionId, transport),
    });
    const server = new McpServer({ name: "bare", version: "1.0.0" });
    server.registerTool("echo", { inputSchema: { message: z.string() } }, ({ message }) => ({
      content: [{ type: "text", text: `Echo: ${message}` }],
    }));
    await server.connect(transport);
  }
  await transport.handleRequest(req, res, req.body);
});
const listener = app.listen(0, "127.0.0.1", () => {
  process.stdout.write(
    `${JSON.stringify({ url: `http://127.0.0.1:${listener.address().port}`, key: "" })}\n`,
  );
});
process.on("SIGTERM", () => process.exit(0));
