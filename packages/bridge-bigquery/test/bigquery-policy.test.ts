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

  describe("with BIGQUERY_DATASET 'sales'", () => {
    const scoped = bigqueryPolicy({ project: "demo-project", dataset: "sales", readOnly: true });
    const execute = (sql: string) => scoped.denyReason(tool("execute_sql", false), { sql });

    it.each([
      "SELECT * FROM INFORMATION_SCHEMA.TABLES",
      "SELECT * FROM information_schema.columns",
      "SELECT * FROM `INFORMATION_SCHEMA.TABLES`",
      "SELECT * FROM `region-us`.INFORMATION_SCHEMA.TABLES",
      "SELECT * FROM `region-us.INFORMATION_SCHEMA.JOBS`",
      "SELECT * FROM crm.INFORMATION_SCHEMA.TABLES",
    ])("denies the INFORMATION_SCHEMA read %j, which is not proven to stay in the dataset", (sql) => {
      expect(execute(sql)).toMatch(/is outside BIGQUERY_DATASET 'demo-project\.sales'/);
    });

    // A dataset named `null` read as an unqualified table, and a path whose dataset was dropped at a "::" or an
    // empty part, passed the scope before.
    it.each([
      ["SELECT * FROM `null`.orders", "null.orders"],
      ["SELECT * FROM null.orders", "null.orders"],
      ["SELECT * FROM sales.orders JOIN `null`.people USING (id)", "null.people"],
      ["SELECT * FROM `x::crm.people`", "x::crm.people"],
      ["SELECT * FROM `.crm.people`", "crm.people"],
      ["SELECT * FROM `crm..people`", "crm.people"],
    ])("denies %j, whose dataset is not 'sales'", (sql, name) => {
      expect(execute(sql)).toBe(`table '${name}' is outside BIGQUERY_DATASET 'demo-project.sales'`);
    });

    it("denies a read of another dataset hidden from the parser behind a backslash before a closing backquote", () => {
      // BigQuery reads `a\`, ` as one name and then the subquery; node-sql-parser reads two names and no table.
      expect(execute("SELECT 1 AS `a\\`, `, (SELECT secret FROM crm.people) AS leak --`")).toMatch(
        /quoted name or literal ending in a backslash/,
      );
    });

    it.each([
      "SELECT * FROM sales.INFORMATION_SCHEMA.TABLES",
      "SELECT * FROM `demo-project.sales.INFORMATION_SCHEMA.COLUMNS`",
    ])("allows the INFORMATION_SCHEMA read %j of its own dataset", (sql) => {
      expect(execute(sql)).toBeUndefined();
    });

    it("checks a listed table function's dataset like a table's", () => {
      const listed = bigqueryPolicy({
        project: "demo-project",
        dataset: "sales",
        readOnly: true,
        allowedTableFunctions: ["sales.recent_orders", "crm.people_at"],
      });
      const call = (sql: string) => listed.denyReason(tool("execute_sql", false), { sql });
      expect(call("SELECT * FROM sales.recent_orders(7)")).toBeUndefined();
      expect(call("SELECT crm.people_at(id) FROM sales.orders")).toMatch(
        /table 'crm.people_at' is outside BIGQUERY_DATASET/,
      );
      expect(call("SELECT crm.lookup(id) FROM sales.orders")).toMatch(
        /calls crm.lookup, which runs a statement the read-only check cannot see/,
      );
      expect(call("SELECT * FROM crm.people_at('2026-01-01')")).toMatch(
        /table 'crm.people_at' is outside BIGQUERY_DATASET/,
      );
    });
  });

  it("denies EXTERNAL_QUERY through execute_sql unless allowedTableFunctions lists it", () => {
    const sql = "SELECT * FROM EXTERNAL_QUERY('crm', 'DELETE FROM customers')";
    expect(readOnly.denyReason(tool("execute_sql", false), { sql })).toMatch(
      /calls EXTERNAL_QUERY, which runs a statement the read-only check cannot see/,
    );
    const federated = bigqueryPolicy({
      project: "demo-project",
      dataset: undefined,
      readOnly: true,
      allowedTableFunctions: ["EXTERNAL_QUERY"],
    });
    expect(federated.denyReason(tool("execute_sql", false), { sql })).toBeUndefined();
  });
});
