import { afterEach, describe, expect, it } from "vitest";
import { readRows } from "../src/database-reader.js";
import { recordCase } from "../src/fault-table.js";
import { type GatewayProcess, startGatewayProcess, waitFor } from "../src/gateway-process.js";
import { faultUpstreamServer } from "../src/paths.js";
import { createWorkspace, SECRET_KEY, type Workspace } from "../src/workspace.js";

const IN_FLIGHT = 200;

const started: GatewayProcess[] = [];
let ws: Workspace | undefined;
afterEach(async () => {
  await Promise.all(started.splice(0).map((gateway) => gateway.stop("SIGKILL")));
  await ws?.cleanup();
});

async function start(workspace: Workspace): Promise<GatewayProcess> {
  const gateway = await startGatewayProcess({
    cwd: workspace.dir,
    env: {
      DATABASE_URL: workspace.databaseUrl,
      WAYGATE_SECRET_KEY: SECRET_KEY,
      WAYGATE_CONFIG: "waygate.json",
    },
  });
  started.push(gateway);
  await waitFor("the upstream to be ready", async () => {
    const health = (await (await fetch(`${gateway.url}/health`)).json()) as { status: string };
    return health.status === "ok" ? true : undefined;
  });
  return gateway;
}

describe("gateway crash", () => {
  it("after SIGKILL with 200 calls in flight, the database reopens and every answered call has its audit row", async () => {
    ws = await createWorkspace();
    await ws.writeConfig({
      gateway: { rateLimit: { windowMs: 60_000, limit: 10_000 }, timeouts: { toolCallMs: 20_000 } },
      mcpServers: { work: faultUpstreamServer() },
    });
    const gateway = await start(ws);
    const key = ws.keys.caller;

    // Calls finish spread over ~2 s, so the kill lands while some have answered and others are in flight.
    const answered: string[] = [];
    let failed = 0;
    const calls = Array.from({ length: IN_FLIGHT }, async (_, i) => {
      const requestId = `crash-${i}`;
      try {
        const response = await fetch(`${gateway.url}/mcp/execute`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            authorization: `Bearer ${key}`,
            "x-request-id": requestId,
          },
          body: JSON.stringify({ tool: "work__work", arguments: { ms: 100 + i * 10 } }),
        });
        const body = (await response.json()) as { result?: { content?: { text?: string }[] } };
        const text = body.result?.content?.[0]?.text;
        if (response.status === 200 && text?.startsWith("worked")) answered.push(requestId);
        else failed++;
      } catch {
        failed++; // the connection died with the gateway: the client got no result
      }
    });
    await waitFor("some calls to be answered", async () => (answered.length >= 20 ? true : undefined));
    await gateway.stop("SIGKILL");
    await Promise.all(calls);
    expect(answered.length).toBeGreaterThan(0);
    expect(answered.length).toBeLessThan(IN_FLIGHT);

    const restarted = await start(ws);
    const health = (await (await fetch(`${restarted.url}/health`)).json()) as {
      database: { ok: boolean };
    };
    expect(health.database.ok).toBe(true);
    await restarted.stop("SIGTERM");

    const integrity = await readRows(ws.databaseUrl, "PRAGMA integrity_check");
    expect(Object.values(integrity[0] ?? {})).toEqual(["ok"]);
    const rows = await readRows(
      ws.databaseUrl,
      "SELECT request_id FROM command_history WHERE request_id LIKE 'crash-%'",
    );
    const audited = new Set(rows.map((row) => String(row.request_id)));
    const lost = answered.filter((id) => !audited.has(id));
    expect(lost).toEqual([]);
    recordCase({
      case: `gateway SIGKILLed with ${IN_FLIGHT} calls in flight`,
      expected: "db reopens cleanly, 0 answered calls without an audit row",
      observed: `${answered.length} answered, ${failed} cut off, ${audited.size} rows; integrity ok; lost ${lost.length}`,
    });
  });
});
