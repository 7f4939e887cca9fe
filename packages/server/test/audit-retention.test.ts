import { verifyAuditChain } from "@waygate/core";
import { afterEach, describe, expect, it } from "vitest";
import { memoryLogger, SECRET_KEY, startGateway, type TestGateway } from "./helpers.js";

const DAY = 86_400_000;
let t: TestGateway | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("audit retention (audit.retainDays)", () => {
  it("deletes rows older than retainDays behind an anchor, so the rest of the chain still verifies", async () => {
    const { logger, entries } = memoryLogger();
    t = await startGateway({ logger, audit: { retainDays: 7, pruneEveryMs: 50 } });
    const now = Date.now();
    const row = (n: number, ageDays: number) => ({
      requestId: `old-${n}`,
      keyId: null,
      server: "local",
      tool: "echo",
      outcome: "ok" as const,
      durationMs: 1,
      at: new Date(now - ageDays * DAY),
    });
    await t.repos.commandHistory.appendMany([row(1, 30), row(2, 10), row(3, 1)]);
    await until(async () => (await t!.auditRows()).every((r) => r.request_id !== "old-2"), "old rows to go");
    const left = (await t.auditRows()).map((r) => r.request_id);
    expect(left).toContain("old-3");
    expect(left).not.toContain("old-1");
    expect(entries.some((e) => e.message === "audit retention deleted old rows")).toBe(true);
    expect(await verifyAuditChain(t.db, { secretKey: SECRET_KEY })).toMatchObject({
      ok: true,
      startedFrom: { pruned: 2 },
    });
  });

  it("keeps every row when retainDays is not set", async () => {
    t = await startGateway();
    await t.repos.commandHistory.appendMany([
      {
        requestId: "ancient",
        keyId: null,
        server: "local",
        tool: "echo",
        outcome: "ok",
        durationMs: 1,
        at: new Date(0),
      },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await t.auditRows()).map((r) => r.request_id)).toContain("ancient");
  });

  it("refuses a retainDays that is not a positive number, naming the option", async () => {
    await expect(startGateway({ audit: { retainDays: 0 } })).rejects.toThrow(/audit\.retainDays/);
  });
});
