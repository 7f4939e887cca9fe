import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPlugin } from "@waygate/plugin-sdk/loader";
import { createTestHarness } from "@waygate/plugin-sdk/testing";
import { afterAll, describe, expect, it } from "vitest";
import { BigqueryBridge, createBigqueryBridge, resolveToolboxLauncher } from "../src/index.js";
import { textOf, writeThrowawayServiceAccount } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "waygate-bq-toolbox-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("BigQuery bridge with Google's real MCP Toolbox (@toolbox-sdk/server, prebuilt bigquery, offline)", () => {
  it("starts the Toolbox with a throwaway service-account key and lists its BigQuery tools", async () => {
    const keyFile = writeThrowawayServiceAccount(dir, "demo-project");
    const plugin = new BigqueryBridge({
      env: { HOME: dir, GOOGLE_CLOUD_PROJECT: "demo-project", GOOGLE_APPLICATION_CREDENTIALS: keyFile },
    });
    const harness = await createTestHarness(plugin);
    try {
      const tools = await harness.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(
        expect.arrayContaining(["execute_sql", "list_dataset_ids", "get_table_info", "list_table_ids"]),
      );
      // Without the internet the Toolbox cannot run a query, but the gateway's check answers first.
      const denied = await harness.callTool("execute_sql", { sql: "DROP TABLE sales.orders" });
      expect(textOf(denied)).toMatch(/^Denied by the 'bigquery' bridge: the SQL is a DROP statement/);
      expect(await plugin.healthCheck()).toMatchObject({ healthy: true });
    } finally {
      await harness.close();
    }
  });

  it("is found as the default server command", () => {
    expect(resolveToolboxLauncher()).toMatch(/@toolbox-sdk\/server\/bin\/run\.js$/);
  });

  it("fails its start with BRIDGE_CREDENTIALS_MISSING when no credentials are configured, as the gateway starts it", async () => {
    const plugin = new BigqueryBridge({ env: { HOME: dir, GOOGLE_CLOUD_PROJECT: "demo-project" } });
    await expect(plugin.start()).rejects.toThrow(/GOOGLE_APPLICATION_CREDENTIALS is not set/);
    expect(plugin.getStatus()).toMatchObject({
      state: "failed",
      lastError: { code: "BRIDGE_CREDENTIALS_MISSING" },
    });
    expect(await plugin.healthCheck()).toMatchObject({
      healthy: false,
      details: { code: "BRIDGE_CREDENTIALS_MISSING" },
    });
    const loaded = await loadPlugin(
      new BigqueryBridge({ env: { HOME: dir, GOOGLE_CLOUD_PROJECT: "demo-project" } }),
    );
    expect(loaded).toMatchObject({ status: "failed", error: { code: "BRIDGE_CREDENTIALS_MISSING" } });
  });

  it("reports an upstream that cannot start (missing program) as failed with its reason", async () => {
    const keyFile = writeThrowawayServiceAccount(dir, "demo-project");
    const plugin = createBigqueryBridge({
      project: "demo-project",
      credentialsFile: keyFile,
      command: [join(dir, "no-such-toolbox")],
      connectTimeoutMs: 5_000,
    });
    try {
      await expect(plugin.start()).rejects.toThrow(/Upstream 'bigquery'/);
      expect(plugin.getStatus()).toMatchObject({
        state: "failed",
        lastError: { code: expect.stringMatching(/^UPSTREAM_/) },
      });
      expect(await plugin.healthCheck()).toMatchObject({ healthy: false });
    } finally {
      await plugin.shutdown();
    }
  });
});
