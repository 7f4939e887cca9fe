import { describe, expect, it } from "vitest";
import { bigqueryPolicy, type UpstreamTool } from "../src/index.js";

const tool = (name: string, readOnlyHint?: boolean): UpstreamTool => ({
  name,
  inputSchema: { type: "object", properties: {} },
  ...(readOnlyHint === undefined ? {} : { annotations: { readOnlyHint } }),
});

describe("BigQuery policy", () => {
  const readOnly = bigqueryPolicy({ project: "demo-project", dataset: undefined, readOnly: true });

  it("hides tools that may write and tools without a read-only hint, but not the SQL tools it checks per call", () => {
    expect(readOnly.hideReason(tool("create_table", false))).toMatch(
      /'create_table' may modify BigQuery data and the bridge is read-only; set BIGQUERY_READ_ONLY=false/,
    );
    expect(readOnly.hideReason(tool("mystery"))).toBeDefined();
    expect(readOnly.hideReason(tool("execute_sql", false))).toBeUndefined();
    expect(readOnly.hideReason(tool("list_table_ids", true))).toBeUndefined();
  });

  it("shows every tool when read-only is off", () => {
    const writable = bigqueryPolicy({ project: "demo-project", dataset: undefined, readOnly: false });
    expect(writable.hideReason(tool("create_table", false))).toBeUndefined();
  });

  it("denies unreadable table_references rather than guessing their scope", () => {
    expect(readOnly.denyReason(tool("ask_data_insights", true), { table_references: "not json" })).toMatch(
      /table_references must be a JSON list/,
    );
  });

  it("fails closed on unparseable SQL when writes are allowed but a dataset scope must be checked", () => {
    const scoped = bigqueryPolicy({ project: "demo-project", dataset: "sales", readOnly: false });
    expect(
      scoped.denyReason(tool("execute_sql", false), {
        sql: "MERGE x USING y ON true WHEN MATCHED THEN DELETE",
      }),
    ).toMatch(/could not be checked against BIGQUERY_DATASET/);
  });
});
