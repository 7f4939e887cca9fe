import sqlParser from "node-sql-parser/build/bigquery.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BUILT_IN_NAMESPACED_FUNCTIONS } from "../src/built-in-functions.js";
import { checkReadOnlySql } from "../src/index.js";

const MISREAD_QUOTE =
  /^the SQL has a quoted name or literal ending in a backslash or holding a doubled quote \(".+"\), which BigQuery reads differently from this check, so it would not run the statement checked here; spell a final backslash \\x5c and a quote inside a literal \\' or \\" \(no triple-quoted literals\)$/;
const allowed = (sql: string) => checkReadOnlySql(sql).allowed;
/** The tables an allowed query reads, or the reason it is denied. */
const tablesOf = (sql: string) => {
  const verdict = checkReadOnlySql(sql);
  return verdict.allowed ? verdict.tables : verdict.reason;
};
const reason = (sql: string) => {
  const verdict = checkReadOnlySql(sql);
  return verdict.allowed ? "allowed" : verdict.reason;
};
const calls = (name: string) =>
  `the SQL calls ${name}, which runs a statement the read-only check cannot see; list it in BIGQUERY_ALLOWED_TABLE_FUNCTIONS to allow it`;
const BUILT_INS = Object.entries(BUILT_IN_NAMESPACED_FUNCTIONS).flatMap(([space, names]) =>
  names.map((name) => [space, name] as const),
);

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
    "SELECT * REPLACE (total * 2 AS total) FROM sales.orders",
    "SELECT * EXCEPT (note) FROM sales.orders",
    "SELECT * FROM UNNEST([1, 2, 3]) AS n",
    "SELECT * FROM UNNEST(GENERATE_ARRAY(1, 10)) AS n",
    "SELECT EXTRACT(DAY FROM day), SAFE_DIVIDE(total, 2), CURRENT_DATE() FROM sales.orders",
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
    ["LOCK TABLES sales.orders READ", /LOCK statement/],
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

  // node-sql-parser closes these at the quote after a backslash; BigQuery reads the backslash as escaping that quote,
  // so what follows the next quote is code to BigQuery and quoted text to the parser.
  it.each([
    "SELECT 1 AS `a\\`, `; DELETE FROM sales.orders WHERE true --`",
    "SELECT * FROM sales.`t\\`, `; DROP TABLE sales.orders --`",
    "SELECT b'\\', '; DELETE FROM sales.orders WHERE true --'",
    'SELECT RB"\\", "; DELETE FROM sales.orders WHERE true --"',
    "SELECT NUMERIC '\\', '; DELETE FROM sales.orders WHERE true --'",
    "SELECT b'\\', ', (SELECT secret FROM crm.people) AS leak --'",
  ])(
    "denies %j, whose quote BigQuery reads as escaped, so it would run other SQL than was checked",
    (sql) => {
      expect(reason(sql)).toMatch(MISREAD_QUOTE);
    },
  );

  // The parser reads '' inside a string as an escaped quote; BigQuery reads ''' as opening a triple-quoted string.
  it.each([
    "SELECT '''a' AS b, '''; DELETE FROM sales.orders WHERE true --'",
    'SELECT """a" AS b, """, (SELECT secret FROM crm.people) AS leak --"',
    "SELECT r'a''b'",
    "SELECT '''a'''",
  ])("denies %j, whose doubled or tripled quotes BigQuery reads otherwise than the check", (sql) => {
    expect(reason(sql)).toMatch(MISREAD_QUOTE);
  });

  it("quotes at most the last 40 characters of a misread literal", () => {
    const denial = reason(`SELECT '''${"x".repeat(60)}'''`);
    expect(denial).toContain(`(${JSON.stringify(`${"x".repeat(38)}''`)})`);
    expect(denial).not.toContain("x".repeat(39));
  });

  it("allows backslash escapes that end no quoted text, and a final backslash spelt \\x5c", () => {
    expect(
      reason("SELECT 'it\\'s', 'say \"hi\"', \"it's\", '\\n', r'\\d+', `sales\\x5c` FROM sales.orders"),
    ).toBe("allowed");
  });

  // An even run of backslashes before a closing quote is escaped backslashes, to BigQuery and the parser alike.
  it.each([
    String.raw`SELECT 'a\\'`,
    String.raw`SELECT "a\\"`,
    String.raw`SELECT r'a\\'`,
    String.raw`SELECT 'a\\\\'`,
    String.raw`SELECT b'\\'`,
    "SELECT 1 AS `a\\\\`",
  ])("allows %j, whose literal or name ends in an escaped backslash", (sql) => {
    expect(reason(sql)).toBe("allowed");
  });

  // The same texts cannot hide a second statement or another table: what follows the closing quote is SQL to both.
  it.each([
    [String.raw`SELECT 'a\\'; DROP TABLE sales.orders`, /holds 2 statements/],
    [String.raw`SELECT "a\\"; DELETE FROM sales.orders WHERE true`, /holds 2 statements|could not be parsed/],
    // The parser reads this one as BigQuery does (\' inside a plain string), so the rest is a syntax error to both.
    [String.raw`SELECT 'a\\\', '; DELETE FROM sales.orders WHERE true --'`, /could not be parsed/],
    ["SELECT 1 AS `a\\\\\\`, `; DELETE FROM sales.orders WHERE true --`", MISREAD_QUOTE],
    [String.raw`SELECT b'\\\', ', (SELECT secret FROM crm.people) AS leak --'`, MISREAD_QUOTE],
    [String.raw`SELECT NUMERIC '1\\\', '; DELETE FROM sales.orders WHERE true --'`, MISREAD_QUOTE],
  ])("denies %j: an odd run of backslashes still escapes the quote to BigQuery", (sql, expected) => {
    expect(reason(sql)).toMatch(expected);
  });

  it("lists the table read after a literal ending in an escaped backslash", () => {
    expect(tablesOf(String.raw`SELECT 'a\\' AS x FROM crm.people WHERE note != 'b\\'`)).toEqual([
      { project: null, dataset: "crm", table: "people" },
    ]);
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

  it.each([
    ["DESC orders", /DESC statement/],
    ["DESCRIBE orders", /DESC statement/],
  ])("denies %j, which parses but is not a query", (sql, expected) => {
    expect(reason(sql)).toMatch(expected);
  });

  it.each([
    "SELECT * FROM EXTERNAL_QUERY('crm-connection', 'DELETE FROM customers')",
    "SELECT * FROM external_query('crm-connection', 'SELECT 1') AS t",
    "SELECT * FROM sales.orders o JOIN EXTERNAL_QUERY('crm', 'UPDATE people SET x = 1') p ON true",
    "SELECT (SELECT COUNT(*) FROM EXTERNAL_QUERY('crm', 'DROP TABLE people'))",
    "SELECT EXTERNAL_QUERY('crm', 'DELETE FROM customers')",
    "WITH remote AS (SELECT * FROM EXTERNAL_QUERY('crm', 'SELECT 1')) SELECT * FROM remote",
    "SELECT SAFE.EXTERNAL_QUERY('crm', 'DELETE FROM customers')",
  ])("denies the federated query %j, whose inner statement it cannot check", (sql) => {
    expect(reason(sql)).toMatch(
      /calls (SAFE\.)?EXTERNAL_QUERY, which runs a statement the read-only check cannot see; list it in BIGQUERY_ALLOWED_TABLE_FUNCTIONS to allow it/i,
    );
  });

  it.each([
    ["SELECT * FROM sales.recent_orders(7)", "sales.recent_orders"],
    ["SELECT * FROM `p-1.sales.recent_orders`(7)", "p-1.sales.recent_orders"],
  ])("denies the table-valued function in %j unless it is listed", (sql, name) => {
    expect(reason(sql)).toContain(`calls ${name}, which runs a statement the read-only check cannot see`);
  });

  // A persistent UDF may query tables of its own dataset or call a remote function's endpoint: the check sees neither.
  it.each([
    ["SELECT crm.lookup(id) FROM sales.orders", "crm.lookup"],
    ["SELECT `p-1.crm.lookup`(1)", "p-1.crm.lookup"],
    ["SELECT * FROM sales.orders WHERE crm.score(total) > 0", "crm.score"],
    ["SELECT crm.running(total) OVER () FROM sales.orders", "crm.running"],
    ["SELECT ARRAY(SELECT crm.lookup(1))", "crm.lookup"],
    ["SELECT SAFE.crm.lookup(1)", "SAFE.crm.lookup"],
  ])("denies %j, which calls a user-defined function, unless it is listed", (sql, name) => {
    expect(reason(sql)).toBe(
      `the SQL calls ${name}, which runs a statement the read-only check cannot see; list it in BIGQUERY_ALLOWED_TABLE_FUNCTIONS to allow it`,
    );
  });

  it.each([
    "SELECT NET.HOST('https://example.com/a'), SAFE.DIVIDE(1, 0), SAFE.NET.HOST('x'), UPPER('a'), CURRENT_DATE()",
    "SELECT AEAD.ENCRYPT(k, 'a', 'b') FROM sales.keys",
    "SELECT AI.SCORE('how positive is this?')",
    "SELECT HLL_COUNT.EXTRACT(h) FROM sales.sketches",
    "SELECT KEYS.NEW_KEYSET('AEAD_AES_GCM_256')",
    "SELECT KLL_QUANTILES.EXTRACT_INT64(k, 2) FROM sales.sketches",
    "SELECT ML.DISTANCE([1.0], [2.0])",
    "SELECT OBJ.MAKE_REF('gs://bucket/object', 'us.connection')",
  ])("allows GoogleSQL's own namespaced functions in %j", (sql) => {
    expect(reason(sql)).toBe("allowed");
  });

  // Google's documented functions of each namespace, as listed in src/built-in-functions.ts.
  it.each(BUILT_INS)("allows GoogleSQL's own %s.%s, in any letter case and after SAFE.", (space, name) => {
    expect(reason(`SELECT ${space}.${name}(x) FROM sales.orders`)).toBe("allowed");
    expect(reason(`SELECT SAFE.${space}.${name}(x) FROM sales.orders`)).toBe("allowed");
    expect(reason(`SELECT safe.${space.toLowerCase()}.${name.toLowerCase()}(x)`)).toBe("allowed");
  });

  it("lists the documented functions of exactly the eight namespaces", () => {
    expect(Object.keys(BUILT_IN_NAMESPACED_FUNCTIONS)).toEqual([
      "AEAD",
      "AI",
      "HLL_COUNT",
      "KEYS",
      "KLL_QUANTILES",
      "ML",
      "NET",
      "OBJ",
    ]);
    expect(BUILT_INS).toHaveLength(74);
  });

  // A customer dataset named like a namespace (`ml`, `net`) may hold user-defined functions: only the namespace's
  // documented names pass as built-ins.
  it.each(Object.keys(BUILT_IN_NAMESPACED_FUNCTIONS))(
    "denies an undocumented function in the namespace %s as a user-defined one, in any letter case",
    (space) => {
      const lower = space.toLowerCase();
      expect(reason(`SELECT ${lower}.lookup(id) FROM sales.orders`)).toBe(calls(`${lower}.lookup`));
      expect(reason(`SELECT ${space}.LOOKUP(id) FROM sales.orders`)).toBe(calls(`${space}.LOOKUP`));
      expect(reason(`SELECT SAFE.${lower}.lookup(1)`)).toBe(calls(`SAFE.${lower}.lookup`));
      expect(reason(`SELECT ${lower}.host_name(1)`)).toBe(calls(`${lower}.host_name`));
    },
  );

  it.each([
    ["SELECT `net`.host('x')", "net.host"],
    ["SELECT `ml.distance`([1.0], [2.0])", "ml.distance"],
    ["SELECT SAFE.`NET`.HOST('x')", "SAFE.NET.HOST"],
    ["SELECT net.host.extra('x')", "net.host.extra"],
    ["SELECT `p-1`.net.host('x')", "p-1.net.host"],
  ])(
    "denies %j, a backquoted or longer path that may name a dataset's function, not the built-in",
    (sql, name) => {
      expect(reason(sql)).toBe(calls(name));
    },
  );

  it("allows a dataset's function named like a namespace once it is listed, and lists it for the dataset scope", () => {
    expect(
      checkReadOnlySql("SELECT ml.lookup(id) FROM sales.orders", { allowedTableFunctions: ["ML.LOOKUP"] }),
    ).toEqual({
      allowed: true,
      tables: [
        { project: null, dataset: "sales", table: "orders" },
        { project: null, dataset: "ml", table: "lookup" },
      ],
    });
  });

  it("allows a listed user-defined function and lists it with the tables for the dataset scope", () => {
    expect(
      checkReadOnlySql("SELECT crm.lookup(id) FROM sales.orders", { allowedTableFunctions: ["CRM.LOOKUP"] }),
    ).toEqual({
      allowed: true,
      tables: [
        { project: null, dataset: "sales", table: "orders" },
        { project: null, dataset: "crm", table: "lookup" },
      ],
    });
  });

  it("allows a listed table function, in any letter case, and lists it with the tables for the dataset scope", () => {
    expect(
      checkReadOnlySql("SELECT * FROM `p-1.sales.recent_orders`(7) JOIN sales.orders USING (id)", {
        allowedTableFunctions: ["P-1.SALES.RECENT_ORDERS"],
      }),
    ).toEqual({
      allowed: true,
      tables: [
        { project: null, dataset: "sales", table: "orders" },
        { project: "p-1", dataset: "sales", table: "recent_orders" },
      ],
    });
    const backquoted = checkReadOnlySql("SELECT * FROM sales.recent_orders(7)", {
      allowedTableFunctions: ["`sales.recent_orders`"],
    });
    expect(backquoted.allowed).toBe(true);
    const federated = "SELECT * FROM EXTERNAL_QUERY('crm', 'SELECT 1')";
    expect(checkReadOnlySql(federated, { allowedTableFunctions: ["external_query"] }).allowed).toBe(true);
    expect(checkReadOnlySql(federated, { allowedTableFunctions: ["sales.recent_orders"] }).allowed).toBe(
      false,
    );
  });

  it("lists an unqualified INFORMATION_SCHEMA view under the dataset INFORMATION_SCHEMA, so a dataset scope denies it", () => {
    for (const sql of [
      "SELECT * FROM INFORMATION_SCHEMA.TABLES",
      "SELECT * FROM `information_schema.tables`",
    ]) {
      const verdict = checkReadOnlySql(sql);
      expect(verdict.allowed && verdict.tables[0]?.dataset?.toUpperCase()).toBe("INFORMATION_SCHEMA");
    }
    expect(checkReadOnlySql("SELECT * FROM sales.INFORMATION_SCHEMA.TABLES")).toEqual({
      allowed: true,
      tables: [{ project: null, dataset: "sales", table: "TABLES" }],
    });
  });

  it("names the parser's complaint in one line of at most 200 characters", () => {
    const denial = reason(`SELECT FROM WHERE ${"x ".repeat(300)}`);
    expect(denial).toMatch(/^the SQL could not be parsed as a BigQuery query, so it is denied .*: Expected /);
    const complaint = denial.slice(denial.indexOf(": Expected ") + 2);
    expect(complaint).not.toContain("\n");
    expect(complaint.length).toBeGreaterThan(20);
    expect(complaint.length).toBeLessThanOrEqual(200);
  });

  it.each(["", "-- nothing here", ";", " ; "])("denies %j, which holds no statement, saying so", (sql) => {
    expect(reason(sql)).toBe("the SQL holds no statement");
  });

  it("cuts a parser complaint longer than 200 characters to its first 200", () => {
    const denial = reason("SELECT * FROM sales.orders TABLESAMPLE SYSTEM (10 PERCENT)");
    const complaint = denial.slice(denial.indexOf(": Expected ") + 2);
    expect(complaint).toMatch(/^Expected "#", "\(", ","/);
    expect(complaint).toHaveLength(200);
  });

  it("names a keyword function called as a table function by its keyword", () => {
    expect(reason("SELECT * FROM CURRENT_DATE()")).toBe(
      "the SQL calls CURRENT_DATE, which runs a statement the read-only check cannot see; list it in BIGQUERY_ALLOWED_TABLE_FUNCTIONS to allow it",
    );
  });

  // node-sql-parser lists tables as "<kind>::<dataset or null>::<table>", the same for `null`.orders as for orders.
  it("lists a table in a dataset named `null` under that dataset, not as an unqualified table", () => {
    for (const sql of ["SELECT * FROM `null`.orders", "SELECT * FROM null.orders"]) {
      const verdict = checkReadOnlySql(sql);
      expect(verdict.allowed && verdict.tables).toContainEqual({
        project: null,
        dataset: "null",
        table: "orders",
      });
    }
    expect(checkReadOnlySql("SELECT * FROM `p-1`.`null`.orders")).toEqual({
      allowed: true,
      tables: [{ project: "p-1", dataset: "null", table: "orders" }],
    });
  });

  it("keeps a malformed table path's empty and '::' parts where they stand, so no dataset is dropped", () => {
    expect(tablesOf("SELECT * FROM `x::other.t`")).toEqual([
      { project: null, dataset: "x::other", table: "t" },
    ]);
    expect(tablesOf("SELECT * FROM `a::b::c`")).toEqual([{ project: null, dataset: null, table: "a::b::c" }]);
    expect(tablesOf("SELECT * FROM crm.`a::b`")).toEqual([{ project: null, dataset: "crm", table: "a::b" }]);
    expect(tablesOf("SELECT * FROM `.other.t`")).toEqual([{ project: "", dataset: "other", table: "t" }]);
    expect(tablesOf("SELECT * FROM `other..t`")).toEqual([{ project: "other", dataset: "", table: "t" }]);
    expect(tablesOf("SELECT * FROM `sales.orders.`")).toEqual([
      { project: "sales", dataset: "orders", table: "" },
    ]);
  });

  it("keeps INFORMATION_SCHEMA as the dataset of a view qualified by nothing else, in any letter case", () => {
    expect(tablesOf("SELECT * FROM `information_schema`.tables")).toEqual([
      { project: null, dataset: "information_schema", table: "tables" },
    ]);
    expect(tablesOf("SELECT * FROM `p-1.sales.information_schema.tables`")).toEqual([
      { project: "p-1", dataset: "sales", table: "tables" },
    ]);
    expect(tablesOf("SELECT * FROM `p-1.region-us.INFORMATION_SCHEMA.JOBS`")).toEqual([
      { project: "p-1", dataset: "region-us", table: "JOBS" },
    ]);
  });

  it("lists an unqualified table with no dataset, and a backquoted path split at its dots", () => {
    expect(checkReadOnlySql("SELECT * FROM orders JOIN `p-1.crm.people` USING (id)")).toEqual({
      allowed: true,
      tables: [
        { project: null, dataset: null, table: "orders" },
        { project: "p-1", dataset: "crm", table: "people" },
      ],
    });
  });

  // `FROM t AS o, o.items` reads the array column items of each o row (an implicit UNNEST): no table o.items.
  it.each([
    "SELECT * FROM sales.orders AS o, o.items",
    "SELECT i FROM sales.orders o JOIN o.items AS i ON true",
    "SELECT i FROM sales.orders AS O CROSS JOIN o.items i",
    "SELECT * FROM sales.orders, orders.items",
    "SELECT * FROM sales.orders AS o, UNNEST(o.items) AS i",
    "SELECT (SELECT COUNT(*) FROM sales.orders AS o, o.items) AS n",
  ])("does not list the alias path in %j as a table", (sql) => {
    expect(tablesOf(sql)).toEqual([{ project: null, dataset: "sales", table: "orders" }]);
  });

  it.each([
    ["SELECT * FROM crm.people, sales.orders AS crm", "people"],
    ["SELECT * FROM (SELECT 1 FROM sales.orders AS crm), crm.people", "people"],
    ["SELECT * FROM sales.orders AS crm, crm.people UNION ALL SELECT * FROM crm.people", "people"],
    ["SELECT * FROM sales.orders AS o, o.items WHERE id IN (SELECT id FROM o.items)", "items"],
    ["SELECT * FROM sales.orders AS o, crm.people", "people"],
  ])("still lists the table in %j, read where no such alias is in scope", (sql, table) => {
    expect(tablesOf(sql)).toContainEqual(expect.objectContaining({ table }));
  });

  it("sees the statement after an alias path", () => {
    expect(reason("SELECT * FROM sales.orders AS o, o.items; DROP TABLE sales.orders")).toMatch(
      /holds 2 statements/,
    );
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

// node-sql-parser's BigQuery grammar rejects data-modifying subqueries today (`WITH gone AS (DELETE …)` fails
// to parse); these tests stand in for a parser that accepts one, to prove the second layer still denies it.
describe("read-only SQL check when the parser accepts a nested write", () => {
  afterEach(() => vi.restoreAllMocks());

  const parseOptions = { database: "BigQuery" };

  /** Makes the next parse return `WITH gone AS (<body>) SELECT * FROM gone`, body being any parse-tree node. */
  function nextParseHasCteBody(body: unknown) {
    const parsed = new sqlParser.Parser().parse("WITH gone AS (SELECT 1) SELECT * FROM gone", parseOptions);
    const select = (Array.isArray(parsed.ast) ? parsed.ast[0] : parsed.ast) as unknown as {
      with: { stmt: { ast: unknown } }[];
    };
    select.with[0]!.stmt.ast = body;
    vi.spyOn(sqlParser.Parser.prototype, "parse").mockReturnValueOnce(parsed);
  }

  it.each([
    ["DELETE FROM orders WHERE true", /DELETE statement/],
    ["INSERT INTO sales.orders (id) VALUES (1)", /INSERT statement/],
    ["UPDATE orders SET total = 0 WHERE true", /UPDATE statement/],
    ["TRUNCATE TABLE sales.orders", /TRUNCATE statement/],
    ["DROP TABLE sales.orders", /DROP statement/],
  ])("denies a SELECT whose WITH clause holds %j", (inner, expected) => {
    const { ast } = new sqlParser.Parser().parse(inner, parseOptions);
    nextParseHasCteBody(Array.isArray(ast) ? ast[0] : ast);
    expect(reason("WITH gone AS (…) SELECT * FROM gone")).toMatch(expected);
  });

  it("names every writing kind a statement holds, and matches kinds in any letter case", () => {
    nextParseHasCteBody({ type: "DELETE", where: { type: "update", set: [] } });
    expect(reason("WITH gone AS (…) SELECT * FROM gone")).toMatch(/^the SQL is a DELETE, UPDATE statement, /);
  });

  it("denies a nested DELETE node even when it carries a star, which only a SELECT * REPLACE column may", () => {
    nextParseHasCteBody({ type: "delete", expr: { type: "column_ref", table: null, column: "*" } });
    expect(reason("WITH gone AS (…) SELECT * FROM gone")).toMatch(/DELETE statement/);
  });

  // Every kind that writes, as a bare node: whatever shape a future parser gives the statement, its type counts.
  it.each([
    "alter",
    "call",
    "create",
    "delete",
    "drop",
    "grant",
    "insert",
    "load_data",
    "merge",
    "rename",
    "replace",
    "revoke",
    "set",
    "truncate",
    "update",
    "use",
  ])("denies a SELECT whose WITH clause holds a %s node, naming it", (kind) => {
    nextParseHasCteBody({ type: kind, table: [{ db: "sales", table: "orders" }] });
    expect(reason("WITH gone AS (…) SELECT * FROM gone")).toBe(
      `the SQL is a ${kind.toUpperCase()} statement, which modifies data, schema or session state; the bridge is read-only (set BIGQUERY_READ_ONLY=false to allow writes)`,
    );
  });
});
