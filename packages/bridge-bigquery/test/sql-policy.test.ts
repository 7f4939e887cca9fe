import { describe, expect, it } from "vitest";
import { checkReadOnlySql } from "../src/index.js";

const allowed = (sql: string) => checkReadOnlySql(sql).allowed;
const reason = (sql: string) => {
  const verdict = checkReadOnlySql(sql);
  return verdict.allowed ? "allowed" : verdict.reason;
};

describe("read-only SQL check (parsed as BigQuery SQL, failing closed)", () => {
  it.each([
    "SELECT * FROM `my-project.sales.orders` LIMIT 10",
    "/* monthly */ SELECT region, SUM(total) FROM sales.orders GROUP BY region -- by region\n",
    "WITH recent AS (SELECT * FROM sales.orders WHERE day > '2026-01-01') SELECT COUNT(*) FROM recent",
    "SELECT 1 UNION ALL SELECT 2",
    "SELECT * FROM sales.orders WHERE id IN (SELECT order_id FROM sales.refunds)",
    "SELECT note FROM sales.orders WHERE note = 'DELETE FROM sales.orders; DROP TABLE x'",
    "SELECT REPLACE(name, 'a', 'b') AS renamed FROM sales.customers",
    "SELECT * FROM sales.INFORMATION_SCHEMA.TABLES",
    "SELECT 1 -- ; DROP TABLE sales.orders",
    "SELECT 1;",
  ])("allows the read-only query %j", (sql) => {
    expect(reason(sql)).toBe("allowed");
  });

  it.each([
    ["INSERT INTO sales.orders (id) VALUES (1)", /INSERT statement/],
    ["CREATE TABLE sales.copy AS SELECT * FROM sales.orders", /CREATE statement/],
    ["CREATE OR REPLACE VIEW sales.v AS SELECT 1", /CREATE statement/],
    ["DROP TABLE sales.orders", /DROP statement/],
    ["TRUNCATE TABLE sales.orders", /TRUNCATE statement/],
    ["ALTER TABLE sales.orders ADD COLUMN c INT64", /ALTER statement/],
    ["CALL sales.cleanup()", /CALL statement/],
  ])("denies %j as a write, naming the statement kind", (sql, expected) => {
    expect(reason(sql)).toMatch(expected);
    expect(reason(sql)).toMatch(/set BIGQUERY_READ_ONLY=false to allow writes/);
  });

  it.each(["SELECT * FROM sales.orders; DROP TABLE sales.orders", "SELECT 1; SELECT 2"])(
    "denies several statements in one call: %j",
    (sql) => {
      expect(reason(sql)).toMatch(/holds 2 statements; send one read-only SELECT per call/);
    },
  );

  it.each([
    "MERGE sales.orders T USING sales.staging S ON T.id = S.id WHEN MATCHED THEN DELETE",
    "UPDATE sales.orders SET total = 0 WHERE true",
    "DELETE FROM sales.orders WHERE true",
    "WITH gone AS (DELETE FROM sales.orders WHERE true) SELECT 1",
    "WITH x AS (SELECT 1) INSERT INTO sales.orders SELECT * FROM x",
    "SELECT 1; DELETE FROM sales.orders WHERE true",
    "SELECT 1 /* harmless */; UPDATE sales.orders SET total = 0 WHERE true",
    "EXPORT DATA OPTIONS(uri='gs://bucket/*', format='CSV') AS SELECT * FROM sales.orders",
    "DECLARE n INT64; SET n = 1",
    "BEGIN TRANSACTION",
    "GRANT `roles/bigquery.dataViewer` ON TABLE sales.orders TO 'user:a@example.com'",
  ])("denies %j, which it cannot read as a single query (fail closed)", (sql) => {
    expect(allowed(sql)).toBe(false);
    expect(reason(sql)).toMatch(/could not be parsed as a BigQuery query, so it is denied|statement/);
  });

  // GoogleSQL lexing: a backslash keeps the next quote inside a string, raw (r'') strings included, and
  // '#' starts a comment; the parser must see the same single statement BigQuery sees.
  it.each([
    String.raw`SELECT 'it\'s; DROP TABLE sales.orders; --'`,
    String.raw`SELECT r'a\'; DROP TABLE sales.orders; --'`,
    "SELECT 1 # ; DROP TABLE sales.orders",
  ])("lexes %j as one read-only query, as BigQuery does", (sql) => {
    expect(reason(sql)).toBe("allowed");
  });

  it.each([
    "SELECT '''a'''; DROP TABLE sales.orders",
    'SELECT "x"; DROP TABLE sales.orders',
    "SELECT 1 # comment\n; DROP TABLE sales.orders",
    "SELECT 1 --\r; DROP TABLE sales.orders",
    "SELECT 1 /* unterminated ; DROP TABLE sales.orders",
  ])("sees the statement that follows a closed string or comment in %j", (sql) => {
    expect(allowed(sql)).toBe(false);
  });

  it("denies an empty statement and one that is only a comment", () => {
    expect(reason("")).toMatch(/could not be parsed|holds no statement/);
    expect(reason("-- nothing here")).toMatch(/could not be parsed|holds no statement/);
  });

  it("lists the tables a query reads, split into project, dataset and table", () => {
    const verdict = checkReadOnlySql("SELECT * FROM `p-1.sales.orders` o JOIN crm.people p ON o.id = p.id");
    expect(verdict).toEqual({
      allowed: true,
      tables: [
        { project: "p-1", dataset: "sales", table: "orders" },
        { project: null, dataset: "crm", table: "people" },
      ],
    });
  });
});
