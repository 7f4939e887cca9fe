import type { BridgePolicy, UpstreamTool } from "@waygate/plugin-sdk/bridge";
import { argumentScopeReason, tableScopeReason } from "./scope.js";
import type { BigqueryBridgeSettings } from "./settings.js";
import { checkReadOnlySql, type TableRef } from "./sql-policy.js";

/** Tools of Google's MCP Toolbox (prebuilt bigquery) whose argument is SQL. */
export const SQL_ARGUMENTS: Readonly<Record<string, string>> = { execute_sql: "sql" };
/** Tools whose argument is a table id or a SQL query. */
export const TABLE_OR_SQL_ARGUMENTS: Readonly<Record<string, string>> = {
  analyze_contribution: "input_data",
  forecast: "history_data",
};

const TABLE_ID = /^`?([A-Za-z0-9_-]+(?:[.:][A-Za-z0-9_-]+){1,2})`?$/;

function tableFromId(id: string): TableRef {
  const parts = id.replaceAll("`", "").split(/[.:]/);
  const table = parts.pop() ?? "";
  const dataset = parts.pop() ?? null;
  return { project: parts.pop() ?? null, dataset, table };
}

type PolicySettings = Pick<BigqueryBridgeSettings, "project" | "dataset" | "readOnly"> &
  Partial<Pick<BigqueryBridgeSettings, "allowedTableFunctions" | "allowedProjects">>;

function sqlReason(settings: PolicySettings, sql: string): string | undefined {
  const verdict = checkReadOnlySql(sql, { allowedTableFunctions: settings.allowedTableFunctions });
  if (verdict.allowed) return tableScopeReason(settings, verdict.tables);
  if (settings.readOnly) return verdict.reason;
  // Writes are allowed, but a dataset scope still needs to see the tables: unreadable SQL fails closed.
  return settings.dataset === undefined
    ? undefined
    : `the SQL could not be checked against BIGQUERY_DATASET: ${verdict.reason}`;
}

function queryArgument(tool: UpstreamTool, args: Record<string, unknown>): { sql?: string; table?: string } {
  const sqlName = SQL_ARGUMENTS[tool.name];
  if (sqlName && typeof args[sqlName] === "string") return { sql: args[sqlName] as string };
  const mixedName = TABLE_OR_SQL_ARGUMENTS[tool.name];
  const value = mixedName ? args[mixedName] : undefined;
  if (typeof value !== "string") return {};
  return TABLE_ID.test(value.trim()) ? { table: value.trim() } : { sql: value };
}

/** The BigQuery bridge's policy: read-only SQL parsed at the gateway, calls kept to the project and dataset. */
export function bigqueryPolicy(settings: PolicySettings): BridgePolicy {
  return {
    hideReason(tool) {
      if (!settings.readOnly || tool.annotations?.readOnlyHint === true) return undefined;
      if (tool.name in SQL_ARGUMENTS || tool.name in TABLE_OR_SQL_ARGUMENTS) return undefined;
      return `'${tool.name}' may modify BigQuery data and the bridge is read-only; set BIGQUERY_READ_ONLY=false to expose it`;
    },
    denyReason(tool, args) {
      const scope = argumentScopeReason(settings, args);
      if (scope) return scope;
      const { sql, table } = queryArgument(tool, args);
      if (table !== undefined) return tableScopeReason(settings, [tableFromId(table)]);
      return sql === undefined ? undefined : sqlReason(settings, sql);
    },
  };
}
