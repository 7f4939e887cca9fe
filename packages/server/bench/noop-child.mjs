// The floor of an HTTP MCP hop for the benchmark: a node:http server that answers MCP's Streamable HTTP with canned
// JSON bodies (initialize, then tools/call echoes its message) and does no other work. Prints where it listens.
import http from "node:http";

const server = http.createServer((req, res) => {
  if (req.method === "DELETE") return void res.writeHead(200).end();
  // No server-initiated stream: the SDK client takes 405 on GET as "not offered".
  if (req.method !== "POST") return void res.writeHead(405, { allow: "POST, DELETE" }).end();
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (chunk) => {
    body += chunk;
  });
  req.on("end", () => {
    const message = JSON.parse(body);
    if (message.id === undefined) return void res.writeHead(202).end();
    const result =
      message.method === "initialize"
        ? {
            protocolVersion: message.params.protocolVersion,
            capabilities: { tools: {} },
            serverInfo: { name: "noop", version: "1.0.0" },
          }
        : { content: [{ type: "text", text: `Echo: ${message.params?.arguments?.message}` }] };
    const out = JSON.stringify({ jsonrpc: "2.0", id: message.id, result });
    res
      .writeHead(200, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(out),
        "mcp-session-id": "noop",
      })
      .end(out);
  });
});
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  process.stdout.write(
    `${JSON.stringify({ url: `http://127.0.0.1:${port}`, key: "", readyMs: 0, sinceSpawnMs: 0 })}\n`,
  );
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
