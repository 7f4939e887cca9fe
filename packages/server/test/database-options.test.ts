import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createGateway, createLogger, type Gateway, parseGatewayOptions } from "../src/index.js";
import { get, SECRET_KEY } from "./helpers.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function gatewayOnFile(databaseSynchronous?: "full" | "normal"): Promise<{ url: string }> {
  const dir = mkdtempSync(join(tmpdir(), "waygate-server-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const gateway: Gateway = await createGateway({
    databaseUrl: `file:${join(dir, "waygate.db")}`,
    ...(databaseSynchronous ? { databaseSynchronous } : {}),
    secretKey: SECRET_KEY,
    env: "test",
    auth: "none",
    logger: createLogger({ silent: true }),
    collectDefaultMetrics: false,
  });
  cleanups.push(async () => {
    await gateway.close({ deadlineMs: 1000 });
  });
  return gateway.listen({ host: "127.0.0.1", port: 0 });
}

describe("databaseSynchronous", () => {
  it("opens its own database file at the normal level by default and reports it in diagnostics", async () => {
    const { url } = await gatewayOnFile();
    const res = await get(`${url}/diagnostics/connection`);
    expect(res.status).toBe(200);
    expect(res.body.database).toMatchObject({ kind: "file", synchronous: "normal", ok: true });
  });

  it("opens it at the full level when asked", async () => {
    const { url } = await gatewayOnFile("full");
    const res = await get(`${url}/diagnostics/connection`);
    expect(res.body.database).toMatchObject({ kind: "file", synchronous: "full" });
  });

  it("refuses another level, naming the option", () => {
    expect(() =>
      parseGatewayOptions({ databaseUrl: ":memory:", secretKey: SECRET_KEY, databaseSynchronous: "off" }),
    ).toThrow(/databaseSynchronous: Invalid option: expected one of "full"\|"normal"/);
  });
});
