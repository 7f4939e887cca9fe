/**
 * How to connect a client to a gateway listening at `url`, printed at a development start: the MCP Inspector's
 * CLI, a Claude Desktop entry through `mcp-remote`, and a curl line. With auth `required` each carries the key
 * as `$WAYGATE_API_KEY` (the first-run key printed above, or `waygate keys create`), never the key itself.
 */
export function connectHints(url: string, auth: "required" | "none"): string {
  const mcp = `${url}/mcp`;
  const keyed = auth === "required";
  const header = keyed ? ` --header "Authorization: Bearer $WAYGATE_API_KEY"` : "";
  const desktop = {
    mcpServers: {
      waygate: {
        command: "npx",
        args: ["-y", "mcp-remote", mcp, ...(keyed ? ["--header", "Authorization:${AUTH_HEADER}"] : [])],
        ...(keyed ? { env: { AUTH_HEADER: "Bearer <your key>" } } : {}),
      },
    },
  };
  return [
    "connect a client:",
    ...(keyed
      ? ["  (export WAYGATE_API_KEY=<the key printed above, or one from `waygate keys create`>)"]
      : []),
    "  MCP Inspector (CLI, Node 22+):",
    `    npx -y @modelcontextprotocol/inspector --cli ${mcp} --transport http${header} --method tools/list`,
    "  Claude Desktop (claude_desktop_config.json):",
    ...JSON.stringify(desktop, null, 2)
      .split("\n")
      .map((line) => `    ${line}`),
    "  curl (REST):",
    `    curl -s ${url}/mcp/tools${keyed ? ` -H "Authorization: Bearer $WAYGATE_API_KEY"` : ""}`,
  ].join("\n");
}
