import sqlParser from "node-sql-parser/build/bigquery.js";
import { BUILT_IN_NAMESPACED_FUNCTIONS } from "./built-in-functions.js";

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
   * Table-valued, federated and user-defined functions the query may call (`EXTERNAL_QUERY`, `sales.recent_orders`,
   * `sales.to_eur`), in any letter case; none by default. A listed function is returned among the tables, so a
   * dataset scope sees it.
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
const isStarReplace = (node: ParseNode) =>
  node.type === "replace" && (node.expr as { column?: unknown } | undefined)?.column === "*";

type ParseNode = Record<string, unknown>;

/** Every object in a parse tree (arrays included), depth first. */
function* nodesOf(tree: unknown): Generator<ParseNode> {
  if (typeof tree !== "object" || tree === null) return;
  yield tree as ParseNode;
  for (const value of Object.values(tree)) yield* nodesOf(value);
}

/** The statement kinds that write, in capitals, found anywhere in the tree (a DML body in a CTE included). */
function writingKinds(statement: unknown): Set<string> {
  const found = new Set<string>();
  for (const node of nodesOf(statement)) {
    const { type } = node;
    if (typeof type === "string" && WRITING_KINDS.has(type.toLowerCase()) && !isStarReplace(node)) {
      found.add(type.toUpperCase());
    }
  }
  return found;
}

interface NamePart {
  type?: unknown;
  value: unknown;
}

interface FunctionNode {
  type: "function";
  name: { name: NamePart[]; schema?: NamePart };
}

const isFunctionNode = (node: unknown): node is FunctionNode =>
  (node as { type?: unknown }).type === "function";

/**
 * A function's name as written, backticks dropped: `EXTERNAL_QUERY`, `sales.recent_orders`. The parser puts an
 * unqualified name in `schema`, and keywords such as CURRENT_DATE in `name` with no `schema`.
 */
function functionName({ name }: FunctionNode): string {
  const parts = [name.schema?.value, ...name.name.map((part) => part.value)];
  return parts.filter((part) => typeof part === "string").join(".");
}

const normalisedFunction = (name: string) => name.replaceAll("`", "").toUpperCase();

/** GoogleSQL's namespaced functions as "NAMESPACE.NAME", in capitals. */
const BUILT_IN_FUNCTIONS = new Set(
  Object.entries(BUILT_IN_NAMESPACED_FUNCTIONS).flatMap(([space, names]) =>
    names.map((name) => `${space}.${name}`),
  ),
);

/**
 * Whether a function runs code the check cannot see wherever it is called: a federated function, or a persistent
 * user-defined function (`crm.lookup(id)`), which may query tables of its own dataset or call a remote endpoint.
 * Such a function is qualified by its dataset; GoogleSQL's own functions are not, or by a built-in namespace and
 * then only by a name documented in it (`SAFE.` may come first). A dataset may be named like a namespace (`ml`), so
 * any other name in a namespace (`ml.lookup`), and a backquoted one (`` `net`.host ``), counts as user-defined.
 */
function runsUnseenCode(node: FunctionNode): boolean {
  const parts = normalisedFunction(functionName(node)).split(".");
  if (parts[0] === "SAFE") parts.shift();
  if (parts.length === 1) return FEDERATED_FUNCTIONS.has(String(parts[0]));
  const quoted = [...nodesOf(node.name)].some((part) => part.type === "backticks_quote_string");
  return quoted || !BUILT_IN_FUNCTIONS.has(parts.join("."));
}

/**
 * Functions whose SQL the check cannot see: those the query reads rows from (after FROM or JOIN, at any depth), and
 * federated and user-defined functions anywhere.
 */
function tableFunctions(statement: unknown): Set<string> {
  const found = new Set<string>();
  for (const node of nodesOf(statement)) {
    if (isFunctionNode(node) && runsUnseenCode(node)) found.add(functionName(node));
    // A function as a FROM item parses as {type: "expr", expr: <function>}; UNNEST(f(x)) is an "unnest" item.
    if (Array.isArray(node.from)) {
      for (const item of node.from as ParseNode[]) {
        if (item.type === "expr" && isFunctionNode(item.expr)) found.add(functionName(item.expr));
      }
    }
  }
  return found;
}

/**
 * Tables in a dataset literally named `null` (`` `null`.orders ``): the parser's table list writes them as it writes
 * an unqualified table, "select::null::orders", so they are read from the tree instead.
 */
function nullDatasetTables(statement: unknown): TableRef[] {
  const found: TableRef[] = [];
  for (const node of nodesOf(statement)) {
    if (node.db === "null") found.push(tableRefOf(["null", ...String(node.table).split(".")]));
  }
  return found;
}

/** A FROM item as the parser gives it: a table has `table` (and `db` when qualified), any item may have `as`. */
interface FromItem {
  db?: unknown;
  table?: unknown;
  as?: unknown;
}

const tableKey = (db: unknown, table: unknown) => `${String(db)}::${String(table)}`;

/**
 * Tables the parser lists that BigQuery reads as an array of an earlier item of the same FROM clause: in
 * `FROM sales.orders AS o, o.items` (or `JOIN o.items`), `o.items` is the `items` column of each `o` row, an implicit
 * UNNEST, because GoogleSQL resolves a FROM path that starts with a range variable in scope against that variable
 * before any dataset. The parser lists it as the table `items` of a dataset `o`. A name is in scope after its item:
 * its alias, or an unaliased table's last name, in any letter case. A table the query also names where no such
 * variable is in scope stays listed.
 */
function aliasPaths(statement: unknown): Set<string> {
  const paths = new Set<string>();
  const tables = new Set<string>();
  for (const node of nodesOf(statement)) {
    if (!Array.isArray(node.from)) continue;
    const inScope = new Set<string>();
    for (const item of node.from as FromItem[]) {
      const key = tableKey(item.db, item.table);
      if (typeof item.db === "string" && inScope.has(item.db.toLowerCase())) paths.add(key);
      else tables.add(key);
      const name = item.as ?? item.table;
      if (typeof name === "string") inScope.add(name.toLowerCase());
    }
  }
  return new Set([...paths].filter((key) => !tables.has(key)));
}

function tableRefOf(path: readonly string[]): TableRef {
  const qualifiers = path.slice(0, -1);
  // A qualified INFORMATION_SCHEMA view belongs to its dataset (or region). An unqualified one reads the default
  // dataset or the whole project, so it keeps INFORMATION_SCHEMA as its dataset and a dataset scope denies it.
  if (qualifiers.length > 1 && String(qualifiers.at(-1)).toUpperCase() === "INFORMATION_SCHEMA")
    qualifiers.pop();
  return {
    project: qualifiers.at(-2) ?? null,
    dataset: qualifiers.at(-1) ?? null,
    table: String(path.at(-1)),
  };
}

/**
 * A table of node-sql-parser's list, "<kind>::<db or null>::<table>", split at its dots. An empty part stays in
 * place, so a malformed path such as `` `.other.t` `` names a project or dataset no scope allows. A table part that
 * holds "::" itself is kept whole.
 */
function toTableRef(entry: string): TableRef {
  const [, db, ...table] = entry.split("::");
  const path = db === "null" ? table.join("::") : `${db}.${table.join("::")}`;
  return tableRefOf(path.split("."));
}

/**
 * Whether text ends in an odd run of backslashes, the last of which escapes the quote after it to BigQuery. An even
 * run (`'a\\'`, a literal ending in one backslash) is pairs of escaped backslashes: BigQuery closes the literal
 * at that quote as the parser does.
 */
const escapesItsEnd = (text: string) => text.length % 2 !== text.replace(/\\+$/, "").length % 2;

/**
 * A name or literal whose end node-sql-parser finds where BigQuery does not, so BigQuery would run other SQL than
 * the parser saw:
 * - one that ends in an odd number of backslashes: the parser closes a backquoted name, a quoted alias and the
 *   literals it does not know (`b'…'`, `NUMERIC '…'`) at the next quote even after a backslash, which BigQuery reads
 *   as escaping that quote:
 *   `` SELECT 1 AS `a\`, `; DELETE FROM t WHERE true --` `` is one SELECT to the parser, a SELECT and a DELETE to
 *   BigQuery;
 * - one that holds a doubled quote: the parser reads `''` inside a string as an escaped quote, BigQuery has no such
 *   escape and reads `'''` as the start of a triple-quoted string: `SELECT '''a' AS b, '''; DELETE … --'`.
 * A literal the two read alike never ends in an odd number of backslashes nor holds a doubled quote: `\\` or `\x5c`
 * spells a final backslash, `\'` and `\"` a quote.
 */
function misreadQuote(statements: unknown): string | undefined {
  for (const node of nodesOf(statements)) {
    for (const value of Object.values(node)) {
      if (typeof value === "string" && (escapesItsEnd(value) || value.includes("''") || value.includes('""')))
        return value;
    }
  }
  return undefined;
}

const firstLine = (text: string) => String(text.split("\n")[0]).slice(0, 200);

/**
 * Parses `sql` as BigQuery SQL and allows it only when it is one read-only query (SELECT, WITH ... SELECT, set
 * operations) calling no table-valued, federated or user-defined function outside `allowedTableFunctions`. Anything
 * the parser cannot read, or may read otherwise than BigQuery, is denied: the check fails closed.
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
  const misread = misreadQuote(ast);
  if (misread !== undefined) {
    return {
      allowed: false,
      reason: `the SQL has a quoted name or literal ending in a backslash or holding a doubled quote (${JSON.stringify(misread.slice(-40))}), which BigQuery reads differently from this check, so it would not run the statement checked here; spell a final backslash \\x5c and a quote inside a literal \\' or \\" (no triple-quoted literals)`,
    };
  }
  // One statement parses as an object, several as an array; ";" alone parses as [[]].
  const statements: unknown[] = [ast].flat(2);
  if (statements.length === 0) return { allowed: false, reason: "the SQL holds no statement" };
  if (statements.length > 1) {
    return {
      allowed: false,
      reason: `the SQL holds ${statements.length} statements; send one read-only SELECT per call`,
    };
  }
  const statement = statements[0] as ParseNode;
  const writes = writingKinds(statement);
  const kind = String(statement.type).toUpperCase();
  if (writes.size > 0 || kind !== "SELECT") {
    const what = writes.size > 0 ? [...writes].join(", ") : kind;
    return {
      allowed: false,
      reason: `the SQL is a ${what} statement, which modifies data, schema or session state; the bridge is read-only (set BIGQUERY_READ_ONLY=false to allow writes)`,
    };
  }
  const allowedFunctions = new Set(options.allowedTableFunctions?.map(normalisedFunction));
  const functions = [...tableFunctions(statement)];
  const unlisted = functions.find((name) => !allowedFunctions.has(normalisedFunction(name)));
  if (unlisted !== undefined) {
    return {
      allowed: false,
      reason: `the SQL calls ${unlisted}, which runs a statement the read-only check cannot see; list it in BIGQUERY_ALLOWED_TABLE_FUNCTIONS to allow it`,
    };
  }
  const functionTables = functions.map((name) => tableRefOf(name.split(".")));
  const arrayPaths = aliasPaths(statement);
  return {
    allowed: true,
    tables: [
      ...tableList.filter((entry) => !arrayPaths.has(entry.slice(entry.indexOf("::") + 2))).map(toTableRef),
      ...nullDatasetTables(statement),
      ...functionTables,
    ],
  };
}
