import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestHarness, type TestHarness } from "@waygate/plugin-sdk/testing";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { type BigqueryBridgeSettingsInput, createBigqueryBridge } from "../src/index.js";
import { bigqueryFixtureCommand, textOf } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "waygate-bq-bridge-"));
const keyFile = join(dir, "key.json");
writeFileSync(keyFile, '{"private_key":"must-not-leak"}');

describe("BigQuery bridge against the MCP Toolbox look-alike fixture (stdio)", () => {
  const harnesses: TestHarness[] = [];
  let callLog = "";
  afterEach(async () => {
    await Promise.all(harnesses.splice(0).map((harness) => harness.close()));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function bridge(settings: Partial<BigqueryBridgeSettingsInput> = {}) {
    callLog = join(dir, `calls-${harnesses.length}-${Date.now()}.jsonl`);
    writeFileSync(callLog, "");
    const command = bigqueryFixtureCommand({
      VENDOR_FIXTURE_CALL_LOG: callLog,
      VENDOR_FIXTURE_SHOW_ENV:
        "BIGQUERY_PROJECT,BIGQUERY_WRITE_MODE,BIGQUERY_MAXIMUM_BYTES_BILLED,BIGQUERY_MAX_QUERY_RESULT_ROWS,GOOGLE_APPLICATION_CREDENTIALS",
    });
    const plugin = createBigqueryBridge({
      project: "demo-project",
      credentialsFile: keyFile,
      command,
      ...settings,
    });
    const harness = await createTestHarness(plugin);
    harnesses.push(harness);
    return harness;
  }
  const received = () =>
    readFileSync(callLog, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { tool: string; args: Record<string, unknown> });

  it("lists the Toolbox's tools, execute_sql included because its SQL is checked per call", async () => {
    const harness = await bridge();
    const names = (await harness.listTools()).map((tool) => tool.name).sort();
    expect(names).toEqual([
      "analyze_contribution",
      "ask_data_insights",
      "execute_sql",
      "forecast",
      "get_dataset_info",
      "get_table_info",
      "list_dataset_ids",
      "list_table_ids",
      "search_catalog",
    ]);
  });

  it("forwards a SELECT and hands the server the project, byte cap, row limit and blocked write mode", async () => {
    const harness = await bridge({ maximumBytesBilled: 12345, maxRows: 7 });
    const result = await harness.callTool("execute_sql", { sql: "SELECT * FROM sales.orders" });
    expect(result.isError).toBeFalsy();
    expect(JSON.parse(textOf(result))).toEqual({
      tool: "execute_sql",
      args: { sql: "SELECT * FROM sales.orders" },
      env: {
        BIGQUERY_PROJECT: "demo-project",
        BIGQUERY_WRITE_MODE: "blocked",
        BIGQUERY_MAXIMUM_BYTES_BILLED: "12345",
        BIGQUERY_MAX_QUERY_RESULT_ROWS: "7",
        GOOGLE_APPLICATION_CREDENTIALS: keyFile,
      },
    });
  });

  it.each([
    ["DROP TABLE sales.orders", /DROP statement/],
    ["CREATE TABLE sales.copy AS SELECT * FROM sales.orders", /CREATE statement/],
    ["MERGE sales.orders T USING sales.s S ON T.id = S.id WHEN MATCHED THEN DELETE", /could not be parsed/],
    ["SELECT 1; DROP TABLE sales.orders", /holds 2 statements/],
    ["WITH x AS (SELECT 1) INSERT INTO sales.orders SELECT * FROM x", /could not be parsed/],
  ])("denies %j at the gateway without reaching the server", async (sql, expected) => {
    const harness = await bridge();
    const result = await harness.callTool("execute_sql", { sql, dry_run: true });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^Denied by the 'bigquery' bridge: /);
    expect(textOf(result)).toMatch(expected);
    expect(received()).toEqual([]);
  });

  it("checks the SQL that forecast and analyze_contribution accept in place of a table id", async () => {
    const harness = await bridge();
    const sqlWrite = await harness.callTool("forecast", {
      history_data: "DELETE FROM sales.orders WHERE true",
      timestamp_col: "day",
      data_col: "total",
    });
    expect(sqlWrite.isError).toBe(true);
    const table = await harness.callTool("forecast", {
      history_data: "demo-project.sales.orders",
      timestamp_col: "day",
      data_col: "total",
    });
    expect(table.isError).toBeFalsy();
    expect(received().map((call) => call.tool)).toEqual(["forecast"]);
  });

  it("keeps calls to BIGQUERY_DATASET and GOOGLE_CLOUD_PROJECT when a dataset is set", async () => {
    const harness = await bridge({ dataset: "sales" });
    const otherDataset = await harness.callTool("get_table_info", { dataset: "hr", table: "salaries" });
    expect(textOf(otherDataset)).toMatch(
      /dataset 'hr' is not allowed: BIGQUERY_DATASET restricts calls to 'sales'/,
    );
    const otherProject = await harness.callTool("list_dataset_ids", { project: "someone-else" });
    expect(textOf(otherProject)).toMatch(
      /project 'someone-else' is not allowed: GOOGLE_CLOUD_PROJECT restricts/,
    );
    const join = await harness.callTool("execute_sql", {
      sql: "SELECT * FROM sales.orders o JOIN hr.salaries s ON o.id = s.id",
    });
    expect(textOf(join)).toMatch(/table 'hr.salaries' is outside BIGQUERY_DATASET 'demo-project.sales'/);
    const references = await harness.callTool("ask_data_insights", {
      user_query_with_context: "totals?",
      table_references: JSON.stringify([{ projectId: "demo-project", datasetId: "hr", tableId: "salaries" }]),
    });
    expect(textOf(references)).toMatch(/dataset 'hr' is not allowed/);
    const inside = await harness.callTool("execute_sql", { sql: "SELECT COUNT(*) FROM sales.orders" });
    expect(inside.isError).toBeFalsy();
    expect(received().map((call) => call.tool)).toEqual(["execute_sql"]);
  });

  it("keeps SQL to GOOGLE_CLOUD_PROJECT without a dataset, and to the projects BIGQUERY_ALLOWED_PROJECTS lists", async () => {
    const harness = await bridge({ allowedProjects: ["bigquery-public-data"] });
    const other = await harness.callTool("execute_sql", { sql: "SELECT * FROM `someone-else.hr.salaries`" });
    expect(other.isError).toBe(true);
    expect(textOf(other)).toMatch(
      /table 'someone-else.hr.salaries' is in project 'someone-else', and GOOGLE_CLOUD_PROJECT confines queries to 'demo-project'; list the project in BIGQUERY_ALLOWED_PROJECTS/,
    );
    const otherTable = await harness.callTool("forecast", {
      history_data: "someone-else.hr.salaries",
      timestamp_col: "day",
      data_col: "total",
    });
    expect(otherTable.isError).toBe(true);
    const listed = await harness.callTool("execute_sql", {
      sql: "SELECT word FROM `bigquery-public-data.samples.shakespeare` JOIN sales.orders ON true",
    });
    expect(listed.isError).toBeFalsy();
    expect(received().map((call) => call.tool)).toEqual(["execute_sql"]);
  });

  it("forwards writes when read-only is off, and stops asking the server to block them", async () => {
    const harness = await bridge({ readOnly: false });
    const result = await harness.callTool("execute_sql", { sql: "DROP TABLE sales.orders" });
    expect(result.isError).toBeFalsy();
    expect(JSON.parse(textOf(result)).env.BIGQUERY_WRITE_MODE).toBeNull();
  });

  it("never writes the credentials file's contents to logs or health", async () => {
    const harness = await bridge();
    await harness.callTool("execute_sql", { sql: "DROP TABLE x" });
    const health = await harness.plugin.healthCheck();
    expect(health).toMatchObject({ healthy: true, details: { project: "demo-project", readOnly: true } });
    expect(JSON.stringify([harness.logs, health])).not.toContain("must-not-leak");
  });
});
