import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { eventsFor, readRows } from "../src/database-reader.js";
import { recordCase } from "../src/fault-table.js";
import { type GatewayProcess, startGatewayProcess, waitFor } from "../src/gateway-process.js";
import { caseTest } from "../src/known-gaps.js";
import { callTool, connectClient } from "../src/mcp-client.js";
import { faultUpstreamServer } from "../src/paths.js";
import { createWorkspace, SECRET_KEY, type Workspace } from "../src/workspace.js";

// The configured per-call timeout; every fault must surface to the caller within it (plus process slack).
const TOOL_CALL_MS = 3_000;
const SLACK_MS = 4_000;

let ws: Workspace;
let gateway: GatewayProcess;
let client: Client;

beforeAll(async () => {
  ws = await createWorkspace();
  await ws.writeConfig({
    gateway: { timeouts: { toolCallMs: TOOL_CALL_MS } },
    mcpServers: {
      faulty: faultUpstreamServer({ FAULT_STATE_DIR: ws.dir }),
      steady: faultUpstreamServer(),
      ancient: faultUpstreamServer({ FAULT_PROTOCOL: "1999-01-01" }),
    },
  });
  gateway = await startGatewayProcess({
    cwd: ws.dir,
    env: { DATABASE_URL: ws.databaseUrl, WAYGATE_SECRET_KEY: SECRET_KEY, WAYGATE_CONFIG: "waygate.json" },
  });
  await waitFor("every upstream to settle", async () =>
    (await fetch(`${gateway.url}/ready`)).status === 200 ? true : undefined,
  );
  client = await connectClient(gateway.url, ws.keys.caller);
});

afterAll(async () => {
  await client?.close().catch(() => {});
  await gateway?.stop("SIGKILL");
  await ws?.cleanup();
});

async function upstreamPid(): Promise<string> {
  const outcome = await callTool(client, "faulty__pid");
  if (outcome.isError) throw new Error(`faulty__pid failed: ${outcome.text}`);
  return outcome.text;
}

/** After a fault: the gateway still answers, the other upstream still serves, and `faulty` serves again. */
async function expectRecovered(): Promise<void> {
  expect(gateway.child.exitCode).toBeNull();
  expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
  expect(await callTool(client, "steady__echo", { text: "still here" })).toMatchObject({
    isError: false,
    text: "still here",
  });
  const next = await waitFor("faulty to answer again", async () => {
    const outcome = await callTool(client, "faulty__echo", { text: "next" });
    return outcome.isError ? undefined : outcome;
  });
  expect(next.text).toBe("next");
}

/** Waits until the upstream answers with a pid other than `before` (it was restarted). */
function restartedFrom(before: string): Promise<string> {
  return waitFor("faulty to be restarted", async () => {
    const pid = await upstreamPid().catch(() => undefined);
    return pid !== undefined && pid !== before ? pid : undefined;
  });
}

/** Polls system_events until a row of `type` for the faulty upstream appears (the gateway samples states). */
function eventRecorded(type: string) {
  return waitFor(
    `a ${type} event for faulty`,
    async () => {
      const rows = await eventsFor(ws.databaseUrl, type, "faulty");
      return rows.length > 0 ? rows : undefined;
    },
    10_000,
  );
}

async function auditedOutcome(tool: string): Promise<string | undefined> {
  const rows = await readRows(
    ws.databaseUrl,
    "SELECT outcome, error FROM command_history WHERE server = 'faulty' AND tool = ? ORDER BY id DESC LIMIT 1",
    [tool],
  );
  return rows[0] ? String(rows[0].outcome) : undefined;
}

const cases = {
  sigkill: "upstream SIGKILLed mid-call",
  crashEvent: "upstream crash recorded in system_events",
  hang: "upstream hangs",
  drip: "upstream answers byte by byte, slower than the timeout",
  oversize: "upstream answer over the 4 MiB message cap",
  truncated: "upstream writes half a JSON-RPC message",
  garbage: "upstream writes garbage, then a good answer",
  ancient: "upstream speaks an unknown protocol version from the start",
  version: "upstream restarts speaking protocol 1999-01-01",
};

describe("upstream faults (gateway process, stdio fault upstream, toolCallMs 3000)", () => {
  caseTest(cases.sigkill)(
    "a SIGKILLed upstream fails the call with a clear error, is restarted and recorded, and the next call succeeds",
    async () => {
      const before = await upstreamPid();
      const outcome = await callTool(client, "faulty__die");
      expect(outcome.isError).toBe(true);
      expect(outcome.text).toMatch(/closed the connection|signal SIGKILL/);
      expect(outcome.ms).toBeLessThan(TOOL_CALL_MS + SLACK_MS);
      const after = await restartedFrom(before);
      await expectRecovered();
      expect(await auditedOutcome("die")).toBe("error");
      recordCase({
        case: cases.sigkill,
        expected: "clear error, restart, next call ok, audited",
        observed: `error in ${Math.round(outcome.ms)} ms: "${outcome.text.slice(0, 80)}"; pid ${before} -> ${after}`,
      });
    },
  );

  caseTest(cases.crashEvent)(
    "a crash the bridge recovers from within statusPollMs is still recorded in system_events",
    async () => {
      const before = await upstreamPid();
      await callTool(client, "faulty__die");
      await restartedFrom(before);
      const down = await eventRecorded("upstream.down");
      await eventRecorded("upstream.recovered");
      recordCase({
        case: cases.crashEvent,
        expected: "upstream.down and upstream.recovered rows",
        observed: `${down[0]?.message}`,
      });
    },
  );

  caseTest(cases.hang)(
    "a hanging upstream call times out at toolCallMs with an error that names the timeout, and the next call succeeds",
    async () => {
      const outcome = await callTool(client, "faulty__hang");
      expect(outcome.isError).toBe(true);
      expect(outcome.text).toContain(`within ${TOOL_CALL_MS} ms`);
      expect(outcome.ms).toBeGreaterThanOrEqual(TOOL_CALL_MS - 50);
      expect(outcome.ms).toBeLessThan(TOOL_CALL_MS + SLACK_MS);
      await expectRecovered();
      expect(await auditedOutcome("hang")).toMatch(/timeout|error/);
      recordCase({
        case: cases.hang,
        expected: `timeout error at ${TOOL_CALL_MS} ms, next call ok, audited`,
        observed: `error in ${Math.round(outcome.ms)} ms: "${outcome.text.slice(0, 80)}"; audited ${await auditedOutcome("hang")}`,
      });
    },
  );

  caseTest(cases.drip)(
    "an answer dripped byte by byte past the timeout is cut off at toolCallMs, and the next call succeeds",
    async () => {
      // ~110 bytes at 50 ms a byte: about 5.5 s, well past the 3 s timeout.
      const outcome = await callTool(client, "faulty__drip", { text: "slow answer", byteMs: 50 });
      expect(outcome.isError).toBe(true);
      expect(outcome.text).toContain(`within ${TOOL_CALL_MS} ms`);
      expect(outcome.ms).toBeLessThan(TOOL_CALL_MS + SLACK_MS);
      await expectRecovered();
      recordCase({
        case: cases.drip,
        expected: `timeout error at ${TOOL_CALL_MS} ms, next call ok`,
        observed: `error in ${Math.round(outcome.ms)} ms: "${outcome.text.slice(0, 80)}"`,
      });
    },
  );

  caseTest(cases.oversize)(
    "an answer over the message cap fails the call naming the cap, the upstream is restarted and recorded",
    async () => {
      const before = await upstreamPid();
      const outcome = await callTool(client, "faulty__oversize", { bytes: 5_000_000 });
      expect(outcome.isError).toBe(true);
      expect(outcome.text).toMatch(/byte cap/);
      expect(outcome.ms).toBeLessThan(TOOL_CALL_MS + SLACK_MS);
      const after = await restartedFrom(before);
      await expectRecovered();
      recordCase({
        case: cases.oversize,
        expected: "error naming the cap, restart, next call ok",
        observed: `error in ${Math.round(outcome.ms)} ms: "${outcome.text.slice(0, 90)}"; pid ${before} -> ${after}`,
      });
    },
  );

  caseTest(cases.truncated)(
    "half a JSON-RPC message is rejected and the call times out with a clear error, and the next call succeeds",
    async () => {
      const outcome = await callTool(client, "faulty__truncated");
      expect(outcome.isError).toBe(true);
      expect(outcome.text).toContain(`within ${TOOL_CALL_MS} ms`);
      expect(outcome.ms).toBeLessThan(TOOL_CALL_MS + SLACK_MS);
      await expectRecovered();
      await waitFor("the warning about the half message", async () =>
        gateway.output().includes("not JSON-RPC") ? true : undefined,
      );
      recordCase({
        case: cases.truncated,
        expected: "clear error within the timeout, logged, next call ok",
        observed: `error in ${Math.round(outcome.ms)} ms: "${outcome.text.slice(0, 80)}"; log names the bad line`,
      });
    },
  );

  caseTest(cases.garbage)(
    "a garbage line on stdout is logged and skipped; the answer after it still reaches the caller",
    async () => {
      const outcome = await callTool(client, "faulty__garbage", { text: "after the noise" });
      expect(outcome).toMatchObject({ isError: false, text: "after the noise" });
      // The warning is logged on the gateway's stderr, which may reach us just after the answer.
      await waitFor("the warning about the garbage line", async () =>
        /not JSON-RPC: .*this line is not JSON-RPC/.test(gateway.output()) ? true : undefined,
      );
      await expectRecovered();
      recordCase({
        case: cases.garbage,
        expected: "noise logged and skipped, answer delivered",
        observed: `answer "${outcome.text}" in ${Math.round(outcome.ms)} ms; warning logged`,
      });
    },
  );

  caseTest(cases.version)(
    "an upstream that restarts speaking an unknown protocol version is retried until it speaks a known one",
    async () => {
      const before = await upstreamPid();
      const outcome = await callTool(client, "faulty__bad_version_next", { starts: 1 });
      expect(outcome.isError).toBe(true);
      const after = await restartedFrom(before);
      await expectRecovered();
      expect(gateway.output()).toMatch(/protocol version is not supported: 1999-01-01/);
      recordCase({
        case: cases.version,
        expected: "restart refused with a clear log, retried, next call ok",
        observed: `pid ${before} -> ${after}; log: "protocol version is not supported: 1999-01-01"`,
      });
    },
  );

  caseTest(cases.ancient)(
    "an upstream that only speaks an unknown protocol version is marked failed with the version named, recorded, and the others serve",
    async () => {
      const servers = (await (
        await fetch(`${gateway.url}/mcp/servers`, { headers: { authorization: `Bearer ${ws.keys.caller}` } })
      ).json()) as { servers: { name: string; state: string; lastError?: { message?: string } }[] };
      const ancient = servers.servers.find((server) => server.name === "ancient");
      expect(ancient?.state).toBe("failed");
      expect(ancient?.lastError?.message).toContain("1999-01-01");
      const events = await eventsFor(ws.databaseUrl, "upstream.start_failed", "ancient");
      expect(events.length).toBeGreaterThan(0);
      const call = await callTool(client, "ancient__echo", { text: "x" });
      expect(call.isError).toBe(true);
      expect(call.text).toMatch(/Server 'ancient' is failed; last error: .*1999-01-01/);
      expect(call.text).not.toContain("Unknown tool");
      expect(await callTool(client, "steady__echo", { text: "ok" })).toMatchObject({
        isError: false,
        text: "ok",
      });
      expect(gateway.child.exitCode).toBeNull();
      recordCase({
        case: cases.ancient,
        expected: "server failed with the version named, start_failed event, call refused clearly",
        observed: `state ${ancient?.state}: "${ancient?.lastError?.message?.slice(0, 70)}"; call: "${call.text.slice(0, 60)}"`,
      });
    },
  );
});
