import sqlParser from "node-sql-parser/build/bigquery.js";

/** Whether a SQL text may run on a read-only bridge, and why not. */
export type SqlVerdict = { allowed: true; tables: TableRef[] } | { allowed: false; reason: string };

/** A table a query reads, split into its parts as far as the query names them. */
export interface TableRef {
  project: string | null;
  dataset: string | null;
  table: string;
}

const PARSE_OPTIONS = { database: "BigQuery" } as const;

/** Statement kinds that change data, schema, permissions or session state, wherever they appear. */
const WRITING_KINDS = new Set([
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
]);

function statementKinds(node: unknown, found: Set<string>): Set<string> {
  if (Array.isArray(node)) {
    for (const item of node) statementKinds(item, found);
  } else if (typeof node === "object" && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === "type" && typeof value === "string" && WRITING_KINDS.has(value.toLowerCase())) {
        found.add(value.toLowerCase());
      } else if (typeof value === "object") {
        statementKinds(value, found);
      }
    }
  }
  return found;
}

function toTableRef(entry: string): TableRef {
  // node-sql-parser lists tables as "<kind>::<db or null>::<table>"; BigQuery names may carry the dots inside.
  const [, db = "null", name = ""] = entry.split("::");
  const parts = [...(db === "null" ? [] : db.split(".")), ...name.split(".")].filter((part) => part !== "");
  const table = parts.pop() ?? "";
  if (parts.at(-1)?.toUpperCase() === "INFORMATION_SCHEMA") parts.pop();
  const dataset = parts.pop() ?? null;
  const project = parts.pop() ?? null;
  return { project, dataset, table };
}

const firstLine = (text: string) => text.split("\n")[0]?.slice(0, 200) ?? "";

/**
 * Parses `sql` as BigQuery SQL and allows it only when it is one read-only query (SELECT, WITH ... SELECT,
 * set operations). Anything the parser cannot read is denied: the check fails closed.
 */
export function checkReadOnlySql(sql: string): SqlVerdict {
  const parser = new sqlParser.Parser();
  let ast: unknown;
  let tableList: string[];
  try {
    ({ ast, tableList } = parser.parse(sql, PARSE_OPTIONS));
  } catch (error) {
    return {
      allowed: false,
      reason: `the SQL could not be parsed as a BigQuery query, so it is denied (only single read-only SELECT statements run here): ${firstLine((error as Error).message)}`,
    };
  }
  const statements = (Array.isArray(ast) ? ast : [ast]).filter((statement) => statement != null);
  if (statements.length === 0) return { allowed: false, reason: "the SQL holds no statement" };
  if (statements.length > 1) {
    return {
      allowed: false,
      reason: `the SQL holds ${statements.length} statements; send one read-only SELECT per call`,
    };
  }
  const writes = statementKinds(statements, new Set());
  const kind = String((statements[0] as { type?: unknown }).type ?? "unknown").toUpperCase();
  if (writes.size > 0 || kind !== "SELECT") {
    const what = writes.size > 0 ? [...writes].map((w) => w.toUpperCase()).join(", ") : kind;
    return {
      allowed: false,
      reason: `the SQL is a ${what} statement, which modifies data, schema or session state; the bridge is read-only (set BIGQUERY_READ_ONLY=false to allow writes)`,
    };
  }
  return { allowed: true, tables: tableList.map(toTableRef) };
}
