import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordCase } from "../src/fault-table.js";
import { type GatewayProcess, startGatewayProcess } from "../src/gateway-process.js";
import { createWorkspace, SECRET_KEY, type Workspace } from "../src/workspace.js";

const LIMIT = 20;
let ws: Workspace;
let gateway: GatewayProcess;

beforeAll(async () => {
  ws = await createWorkspace();
  await ws.writeConfig({ gateway: { authFailures: { windowMs: 60_000, limit: LIMIT } } });
  gateway = await startGatewayProcess({
    cwd: ws.dir,
    env: { DATABASE_URL: ws.databaseUrl, WAYGATE_SECRET_KEY: SECRET_KEY, WAYGATE_CONFIG: "waygate.json" },
  });
});

afterAll(async () => {
  await gateway?.stop("SIGKILL");
  await ws?.cleanup();
});

async function toolsWith(key: string): Promise<number> {
  const response = await fetch(`${gateway.url}/mcp/tools`, { headers: { authorization: `Bearer ${key}` } });
  await response.arrayBuffer();
  return response.status;
}

describe("failed authentications per client address", () => {
  it(`1,000 guessed keys from one address: ${LIMIT} get 401, the rest 429 before any lookup, and a good key is refused too until the window ends`, async () => {
    // Positive control: the caller's key works before the guessing starts.
    expect(await toolsWith(ws.keys.caller)).toBe(200);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 1_000; i++) {
      const status = await toolsWith(`wg_${String(i).padStart(12, "g")}_${"x".repeat(43)}`);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    expect(Object.fromEntries(statuses)).toEqual({ 401: LIMIT, 429: 1_000 - LIMIT });
    const blocked = await toolsWith(ws.keys.caller);
    expect(blocked).toBe(429);
    recordCase({
      case: "1,000 guessed keys from one address",
      expected: `${LIMIT} x 401, then 429 (good key too) until the window ends`,
      observed: `${[...statuses].map(([status, n]) => `${status}x${n}`).join(" ")}; good key afterwards: ${blocked}`,
    });
  }, 120_000);
});
