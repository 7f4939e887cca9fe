import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { UpstreamServer } from "../config/server-entry.js";
import { VERSION } from "../version.js";

/** What probing one upstream found. */
export type ProbeResult =
  | { ok: true; tools: number; serverName: string }
  | { ok: false; error: string; fix: string };

/** The fetch remote upstreams are probed with: the gateway's egress policy applies to the doctor too. */
export type ProbeFetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

function transportFor(server: UpstreamServer, fetch: ProbeFetch): Transport {
  if (server.transport === "stdio") {
    return new StdioClientTransport({
      command: server.command,
      args: server.args,
      env: { ...getDefaultEnvironment(), ...server.env },
      ...(server.cwd === undefined ? {} : { cwd: server.cwd }),
      stderr: "ignore",
    });
  }
  const options = { requestInit: { headers: server.headers }, fetch };
  return server.transport === "sse"
    ? new SSEClientTransport(new URL(server.url), options)
    : new StreamableHTTPClientTransport(new URL(server.url), options);
}

/** A fix for a failed probe, from what the error says. */
function fixFor(server: UpstreamServer, message: string): string {
  if (server.transport === "stdio") {
    if (/ENOENT|not found/i.test(message))
      return `install ${server.command} or put it on the PATH of the gateway`;
    if (/EACCES/i.test(message)) return `make ${server.command} executable by the gateway's user`;
    return `run \`${[server.command, ...server.args].join(" ")}\` by hand and check that it speaks MCP on stdio`;
  }
  if (/Refused to reach/.test(message))
    return "allow the upstream's network under egress.allow in the config file, or point it at a public address";
  if (/401|403|unauthori[sz]ed|forbidden/i.test(message))
    return "check the server's credentials in its headers";
  if (/ECONNREFUSED|ENOTFOUND|fetch failed/i.test(message))
    return `check that ${server.url} is reachable from the gateway`;
  if (/timed out|timeout/i.test(message))
    return "the server is slow to answer: check it is up, or raise its timeout";
  return server.transport === "http"
    ? "if the server speaks the older SSE transport, set its type to sse"
    : "check the URL";
}

/** Connects to an upstream with the MCP SDK client, lists its tools and disconnects. */
export async function probeUpstream(
  server: UpstreamServer,
  timeoutMs: number,
  fetch: ProbeFetch,
): Promise<ProbeResult> {
  const client = new Client({ name: "waygate-doctor", version: VERSION });
  const transport = transportFor(server, fetch);
  try {
    await client.connect(transport, { timeout: timeoutMs });
    const { tools } = await client.listTools({}, { timeout: timeoutMs });
    return { ok: true, tools: tools.length, serverName: client.getServerVersion()?.name ?? server.name };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, error: message, fix: fixFor(server, message) };
  } finally {
    await client.close().catch(() => undefined);
  }
}
