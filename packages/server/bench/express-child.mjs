// The floor of an Express-based MCP endpoint for the benchmark: express.json() and one route that answers MCP's
// Streamable HTTP with canned JSON bodies, as noop-child.mjs does, and nothing else. Prints where it listens.
import express from "express";

const app = express();
app.use(express.json());
app.all("/mcp", (req, res) => {
  if (req.method === "DELETE") return void res.status(200).end();
  if (req.method !== "POST") return void res.status(405).set("Allow", "POST, DELETE").end();
  const message = req.body;
  if (message.id === undefined) return void res.status(202).end();
  const result =
    message.method === "initialize"
      ? {
          protocolVersion: message.params.protocolVersion,
          capabilities: { tools: {} },
          serverInfo: { name: "express-floor", version: "1.0.0" },
        }
      : { content: [{ type: "text", text: `Echo: ${message.params?.arguments?.message}` }] };
  res.set("mcp-session-id", "express-floor").json({ jsonrpc: "2.0", id: message.id, result });
});
const listener = app.listen(0, "127.0.0.1", () => {
  const { port } = listener.address();
  process.stdout.write(
    `${JSON.stringify({ url: `http://127.0.0.1:${port}`, key: "", readyMs: 0, sinceSpawnMs: 0 })}\n`,
  );
});
process.on("SIGTERM", () => listener.close(() => process.exit(0)));
