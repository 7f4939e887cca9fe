import sqlParser from "node-sql-parser/build/bigquery.js";

/** Whether a SQL text may run on a read-only bridge, and why not. */
export type SqlVerdict = { allowed: true; tables: TableRef[] } | { allowed: false; reason: string };

/** A table a query reads, split into its parts as far as the query names them. */
export interface TableRef {
  project: string | null;
  dataset: string | null;
  table: string;
}

/** Options of `checkReadOnlySql`. */
export interface SqlCheckOptions {
  /**
   * Table-valued and federated functions the query may call (`EXTERNAL_QUERY`, `sales.recent_orders`), in any
   * letter case; none by default. A listed function is returned among the tables, so a dataset scope sees it.
   */
  allowedTableFunctions?: readonly string[];
}

const PARSE_OPTIONS = { database: "BigQuery" } as const;

/** Functions that send a statement to another database: denied wherever they appear, not only after FROM. */
const FEDERATED_FUNCTIONS = new Set(["EXTERNAL_QUERY"]);

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

// `SELECT * REPLACE (expr AS column)` parses as a column of type "replace": it rewrites the star, it writes nothing.
const isStarReplace = (node: object) =>
  (node as { type?: unknown }).type === "replace" &&
  (node as { expr?: { column?: unknown } }).expr?.column === "*";

function statementKinds(node: unknown, found: Set<string>): Set<string> {
  if (Array.isArray(node)) {
    for (const item of node) statementKinds(item, found);
  } else if (typeof node === "object" && node !== null) {
    const { type } = node as { type?: unknown };
    if (typeof type === "string" && WRITING_KINDS.has(type.toLowerCase()) && !isStarReplace(node)) {
      found.add(type.toLowerCase());
    }
    for (const value of Object.values(node)) {
      if (typeof value === "object") statementKinds(value, found);
    }
  }
  return found;
}

interface FunctionNode {
  type: "function";
  name: { name?: { value?: unknown }[]; schema?: { value?: unknown } };
}

const isFunctionNode = (node: unknown): node is FunctionNode =>
  typeof node === "object" && node !== null && (node as { type?: unknown }).type === "function";

/** A function's name as written, backticks dropped: `EXTERNAL_QUERY`, `sales.recent_orders`. */
function functionName(node: FunctionNode): string {
  const parts = [node.name.schema?.value, ...(node.name.name ?? []).map((part) => part.value)];
  return parts.filter((part) => typeof part === "string" && part !== "").join(".");
}

/** Functions the query reads rows from (after FROM or JOIN, at any depth) and federated functions anywhere. */
function tableFunctions(node: unknown, found: Set<string>): Set<string> {
  if (Array.isArray(node)) {
    for (const item of node) tableFunctions(item, found);
  } else if (typeof node === "object" && node !== null) {
    if (isFunctionNode(node) && FEDERATED_FUNCTIONS.has(functionName(node).toUpperCase())) {
      found.add(functionName(node));
    }
    const from = (node as { from?: unknown }).from;
    for (const item of Array.isArray(from) ? from : []) {
      // A function as a FROM item parses as {type: "expr", expr: <function>}; UNNEST(f(x)) is an "unnest" item.
      const { type, expr } = (item ?? {}) as { type?: unknown; expr?: unknown };
      if (type === "expr" && isFunctionNode(expr)) found.add(functionName(expr));
    }
    for (const value of Object.values(node)) {
      if (typeof value === "object") tableFunctions(value, found);
    }
  }
  return found;
}

function tableRefOf(dottedParts: string[]): TableRef {
  const parts = dottedParts.filter((part) => part !== "");
  const table = parts.pop() ?? "";
  // A qualified INFORMATION_SCHEMA view belongs to its dataset (or region). An unqualified one reads the default
  // dataset or the whole project, so it keeps INFORMATION_SCHEMA as its dataset and a dataset scope denies it.
  if (parts.length > 1 && parts.at(-1)?.toUpperCase() === "INFORMATION_SCHEMA") parts.pop();
  const dataset = parts.pop() ?? null;
  const project = parts.pop() ?? null;
  return { project, dataset, table };
}

function toTableRef(entry: string): TableRef {
  // node-sql-parser lists tables as "<kind>::<db or null>::<table>"; BigQuery names may carry the dots inside.
  const [, db = "null", name = ""] = entry.split("::");
  return tableRefOf([...(db === "null" ? [] : db.split(".")), ...name.split(".")]);
}

const normalisedFunction = (name: string) => name.replaceAll("`", "").toUpperCase();

const firstLine = (text: string) => text.split("\n")[0]?.slice(0, 200) ?? "";

/**
 * Parses `sql` as BigQuery SQL and allows it only when it is one read-only query (SELECT, WITH ... SELECT,
 * set operations) calling no table-valued or federated function outside `allowedTableFunctions`. Anything the
 * parser cannot read is denied: the check fails closed.
 */
export function checkReadOnlySql(sql: string, options: SqlCheckOptions = {}): SqlVerdict {
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
  const allowedFunctions = new Set((options.allowedTableFunctions ?? []).map(normalisedFunction));
  const functions = [...tableFunctions(statements, new Set())];
  const unlisted = functions.find((name) => !allowedFunctions.has(normalisedFunction(name)));
  if (unlisted !== undefined) {
    return {
      allowed: false,
      reason: `the SQL calls ${unlisted}, which runs a statement the read-only check cannot see; list it in BIGQUERY_ALLOWED_TABLE_FUNCTIONS to allow it`,
    };
  }
  const functionTables = functions.map((name) => tableRefOf(name.split(".")));
  return { allowed: true, tables: [...tableList.map(toTableRef), ...functionTables] };
}
