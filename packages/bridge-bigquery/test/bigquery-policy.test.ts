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

    // `o.items` after `sales.orders AS o` is an array column of o (an implicit UNNEST), not a table of a dataset o.
    it.each([
      "SELECT * FROM sales.orders AS o, o.items",
      "SELECT i.sku FROM `demo-project.sales.orders` o JOIN o.items i ON true",
      "SELECT * FROM sales.orders, orders.items",
    ])("allows %j, whose alias path reads no table", (sql) => {
      expect(execute(sql)).toBeUndefined();
    });

    it.each([
      ["SELECT * FROM crm.people, sales.orders AS crm", "crm.people"],
      ["SELECT * FROM (SELECT 1 FROM sales.orders AS crm), crm.people", "crm.people"],
      ["SELECT * FROM sales.orders AS crm, crm.people UNION ALL SELECT * FROM crm.people", "crm.people"],
      ["SELECT * FROM sales.orders AS o, `other-project`.o.items", "other-project.o.items"],
      ["SELECT * FROM sales.orders AS o, o.items JOIN crm.people USING (id)", "crm.people"],
    ])("denies %j, which reads a table outside 'sales' where no alias is in scope", (sql, name) => {
      expect(execute(sql)).toBe(`table '${name}' is outside BIGQUERY_DATASET 'demo-project.sales'`);
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

  describe("without BIGQUERY_DATASET", () => {
    const execute = (sql: string) => readOnly.denyReason(tool("execute_sql", false), { sql });
    const outside = (name: string, project: string) =>
      `table '${name}' is in project '${project}', and GOOGLE_CLOUD_PROJECT confines queries to 'demo-project'; list the project in BIGQUERY_ALLOWED_PROJECTS to allow it`;

    it.each([
      "SELECT * FROM sales.orders",
      "SELECT * FROM orders",
      "SELECT * FROM `demo-project.sales.orders` JOIN `demo-project`.crm.people USING (id)",
      "SELECT * FROM `demo-project.region-us.INFORMATION_SCHEMA.JOBS`",
    ])("allows %j, which stays in GOOGLE_CLOUD_PROJECT", (sql) => {
      expect(execute(sql)).toBeUndefined();
    });

    it.each([
      ["SELECT * FROM `other-project.sales.orders`", "other-project.sales.orders", "other-project"],
      [
        "SELECT * FROM sales.orders JOIN `other-project`.crm.people USING (id)",
        "other-project.crm.people",
        "other-project",
      ],
      [
        "SELECT * FROM `other-project.region-us.INFORMATION_SCHEMA.JOBS`",
        "other-project.region-us.JOBS",
        "other-project",
      ],
      ["SELECT * FROM `Demo-Project.sales.orders`", "Demo-Project.sales.orders", "Demo-Project"],
      [
        "SELECT (SELECT MAX(x) FROM `bigquery-public-data.s.t`) AS m",
        "bigquery-public-data.s.t",
        "bigquery-public-data",
      ],
      ["SELECT * FROM `.crm.people`", "crm.people", ""],
    ])("denies %j, which reads another project's table", (sql, name, project) => {
      expect(execute(sql)).toBe(outside(name, project));
    });

    it("denies a listed function of another project, and another project's table id given to forecast", () => {
      const listed = bigqueryPolicy({
        project: "demo-project",
        dataset: undefined,
        readOnly: true,
        allowedTableFunctions: ["other-project.crm.lookup"],
      });
      expect(
        listed.denyReason(tool("execute_sql", false), { sql: "SELECT `other-project.crm.lookup`(1)" }),
      ).toBe(outside("other-project.crm.lookup", "other-project"));
      for (const id of ["other-project.sales.orders", "other-project:sales.orders"]) {
        expect(readOnly.denyReason(tool("forecast", true), { history_data: id })).toBe(
          outside("other-project.sales.orders", "other-project"),
        );
      }
      expect(
        readOnly.denyReason(tool("forecast", true), { history_data: "demo-project.sales.orders" }),
      ).toBeUndefined();
    });

    it("allows the projects BIGQUERY_ALLOWED_PROJECTS lists, and no other", () => {
      const publicData = bigqueryPolicy({
        project: "demo-project",
        dataset: undefined,
        readOnly: true,
        allowedProjects: ["bigquery-public-data"],
      });
      const call = (sql: string) => publicData.denyReason(tool("execute_sql", false), { sql });
      expect(call("SELECT * FROM `bigquery-public-data.samples.shakespeare`")).toBeUndefined();
      expect(
        call(
          "SELECT * FROM `bigquery-public-data.samples.shakespeare` JOIN `other-project.s.t` USING (word)",
        ),
      ).toBe(outside("other-project.s.t", "other-project"));
    });

    it("keeps a dataset scope to GOOGLE_CLOUD_PROJECT even when BIGQUERY_ALLOWED_PROJECTS lists another", () => {
      const scoped = bigqueryPolicy({
        project: "demo-project",
        dataset: "sales",
        readOnly: true,
        allowedProjects: ["other-project"],
      });
      expect(
        scoped.denyReason(tool("execute_sql", false), { sql: "SELECT * FROM `other-project.sales.orders`" }),
      ).toBe("table 'other-project.sales.orders' is outside BIGQUERY_DATASET 'demo-project.sales'");
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
