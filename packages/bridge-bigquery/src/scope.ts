import type { BigqueryBridgeSettings } from "./settings.js";
import type { TableRef } from "./sql-policy.js";

type Scope = Pick<BigqueryBridgeSettings, "project" | "dataset"> &
  Partial<Pick<BigqueryBridgeSettings, "allowedProjects">>;

const strings = (value: unknown): string[] =>
  typeof value === "string"
    ? [value]
    : Array.isArray(value)
      ? value.filter((v) => typeof v === "string")
      : [];

function projectReason(scope: Scope, project: string): string | undefined {
  return project === scope.project
    ? undefined
    : `project '${project}' is not allowed: GOOGLE_CLOUD_PROJECT restricts calls to '${scope.project}'`;
}

function datasetReason(scope: Scope, dataset: string): string | undefined {
  return scope.dataset === undefined || dataset === scope.dataset
    ? undefined
    : `dataset '${dataset}' is not allowed: BIGQUERY_DATASET restricts calls to '${scope.dataset}'`;
}

/** Table references as ask_data_insights takes them: a JSON string (or array) of {projectId, datasetId}. */
function tableReferences(value: unknown): unknown[] | undefined {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value;
  if (typeof value !== "string") return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Why the project/dataset arguments of a call leave the configured scope, or undefined. */
export function argumentScopeReason(scope: Scope, args: Record<string, unknown>): string | undefined {
  const references = tableReferences(args.table_references);
  if (references === undefined) {
    return "table_references must be a JSON list of {projectId, datasetId, tableId} so its scope can be checked";
  }
  const projects = [
    ...strings(args.project),
    ...strings(args.projectIds),
    ...references.flatMap((ref) => strings((ref as { projectId?: unknown })?.projectId)),
  ];
  const datasets = [
    ...strings(args.dataset),
    ...strings(args.datasetIds),
    ...references.flatMap((ref) => strings((ref as { datasetId?: unknown })?.datasetId)),
  ];
  for (const project of projects) {
    const reason = projectReason(scope, project);
    if (reason) return reason;
  }
  for (const dataset of datasets) {
    const reason = datasetReason(scope, dataset);
    if (reason) return reason;
  }
  return undefined;
}

/**
 * Why a query's tables leave the configured scope, or undefined: with BIGQUERY_DATASET, a table outside that dataset
 * of GOOGLE_CLOUD_PROJECT; without it, a table of another project that BIGQUERY_ALLOWED_PROJECTS does not list.
 * An unqualified table is read from the default dataset of GOOGLE_CLOUD_PROJECT.
 */
export function tableScopeReason(scope: Scope, tables: readonly TableRef[]): string | undefined {
  for (const table of tables) {
    const name = [table.project, table.dataset, table.table].filter(Boolean).join(".");
    if (scope.dataset === undefined) {
      if (table.project === null || table.project === scope.project) continue;
      if (scope.allowedProjects?.includes(table.project)) continue;
      return `table '${name}' is in project '${table.project}', and GOOGLE_CLOUD_PROJECT confines queries to '${scope.project}'; list the project in BIGQUERY_ALLOWED_PROJECTS to allow it`;
    }
    if (table.dataset === null) continue;
    if (table.dataset !== scope.dataset || (table.project !== null && table.project !== scope.project)) {
      return `table '${name}' is outside BIGQUERY_DATASET '${scope.project}.${scope.dataset}'`;
    }
  }
  return undefined;
}
