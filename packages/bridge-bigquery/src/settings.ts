import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import {
  BridgeConfigError,
  BridgeCredentialsError,
  type Env,
  type EnvField,
  parseBridgeSettings,
  readEnvFields,
} from "@waygate/plugin-sdk/bridge";
import { z } from "zod";

const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$|^[a-z0-9.-]+:[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const DATASET_ID = /^[A-Za-z0-9_]{1,1024}$/;
const FUNCTION_NAME = /^`?[\w-]+(?:\.[\w-]+){0,2}`?$/;

/** Settings of the BigQuery bridge; the environment variables that set them are in `BIGQUERY_ENV_FIELDS`. */
export const BigqueryBridgeSettingsSchema = z.object({
  /** Project whose BigQuery jobs run (and are billed); calls naming another project are denied. */
  project: z.string().regex(PROJECT_ID, "must be a Google Cloud project id such as my-project-123"),
  /** When set, queries and tools may only touch tables in this dataset. */
  dataset: z.string().regex(DATASET_ID, "must be a dataset id (letters, digits and '_')").optional(),
  /** Service-account key file (or other ADC file) handed to the server; never read or logged by the bridge. */
  credentialsFile: z.string().min(1).optional(),
  /** BigQuery location (e.g. US, EU, europe-west1) for jobs. */
  location: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, "must be a location such as US or europe-west1")
    .optional(),
  /** Deny statements that modify data or schema (the default). */
  readOnly: z.boolean().default(true),
  /**
   * Table-valued, federated and user-defined functions a query may call, e.g. `EXTERNAL_QUERY`,
   * `sales.recent_orders` or `sales.to_eur` (matched in any letter case). None by default: such a function runs SQL
   * or code the read-only check cannot see (EXTERNAL_QUERY sends its second argument to Cloud SQL, Spanner or AlloyDB
   * as it is; a persistent UDF may query its own tables or call a remote endpoint). GoogleSQL's own functions
   * (`NET.HOST`, `SAFE.DIVIDE`) need no listing. A listed function's dataset is held to `dataset` like a table's.
   */
  allowedTableFunctions: z
    .array(
      z.string().regex(FUNCTION_NAME, "must be a function name such as EXTERNAL_QUERY or dataset.function"),
    )
    .default([]),
  /**
   * Other projects whose tables a query may read when no `dataset` is set (e.g. `bigquery-public-data`). None by
   * default: a table qualified by another project than `project` is denied. With `dataset` set, only that dataset of
   * `project` may be read, whatever this lists.
   */
  allowedProjects: z
    .array(z.string().regex(PROJECT_ID, "must be a Google Cloud project id such as bigquery-public-data"))
    .default([]),
  /** Largest number of bytes one query may bill; 0 means no cap (not recommended). */
  maximumBytesBilled: z.number().int().min(0).default(1_000_000_000),
  /** Largest number of rows one query returns. */
  maxRows: z.number().int().positive().max(100_000).default(100),
  /** Command of the stdio server; Google's MCP Toolbox from `@toolbox-sdk/server` by default. */
  command: z.array(z.string().min(1)).min(1, "must name a program").optional(),
  connectTimeoutMs: z.number().int().positive().default(20_000),
  callTimeoutMs: z.number().int().positive().default(120_000),
});

/** BigQuery bridge settings as written by a user (defaults optional). */
export type BigqueryBridgeSettingsInput = z.input<typeof BigqueryBridgeSettingsSchema>;
/** BigQuery bridge settings after defaults. */
export type BigqueryBridgeSettings = z.output<typeof BigqueryBridgeSettingsSchema>;

/** Which environment variable sets each setting. */
export const BIGQUERY_ENV_FIELDS: Record<keyof BigqueryBridgeSettingsInput, EnvField> = {
  project: {
    variable: "GOOGLE_CLOUD_PROJECT",
    kind: "string",
    hint: "set GOOGLE_CLOUD_PROJECT to the id of the project that runs your queries",
  },
  dataset: {
    variable: "BIGQUERY_DATASET",
    kind: "string",
    hint: "set BIGQUERY_DATASET to the dataset callers may query, or unset it",
  },
  credentialsFile: {
    variable: "GOOGLE_APPLICATION_CREDENTIALS",
    kind: "string",
    hint: "set GOOGLE_APPLICATION_CREDENTIALS to the path of a service-account key file",
  },
  location: { variable: "BIGQUERY_LOCATION", kind: "string", hint: "set BIGQUERY_LOCATION to e.g. US or EU" },
  readOnly: {
    variable: "BIGQUERY_READ_ONLY",
    kind: "boolean",
    hint: "set BIGQUERY_READ_ONLY to true (default) or false",
  },
  allowedTableFunctions: {
    variable: "BIGQUERY_ALLOWED_TABLE_FUNCTIONS",
    kind: "list",
    hint: "set BIGQUERY_ALLOWED_TABLE_FUNCTIONS to a comma list of function names such as EXTERNAL_QUERY,sales.recent_orders, or unset it",
  },
  allowedProjects: {
    variable: "BIGQUERY_ALLOWED_PROJECTS",
    kind: "list",
    hint: "set BIGQUERY_ALLOWED_PROJECTS to a comma list of project ids such as bigquery-public-data, or unset it",
  },
  maximumBytesBilled: {
    variable: "BIGQUERY_MAXIMUM_BYTES_BILLED",
    kind: "integer",
    hint: "set BIGQUERY_MAXIMUM_BYTES_BILLED to a whole number of bytes, e.g. 1000000000",
  },
  maxRows: {
    variable: "BIGQUERY_MAX_QUERY_RESULT_ROWS",
    kind: "integer",
    hint: "set BIGQUERY_MAX_QUERY_RESULT_ROWS to a whole number between 1 and 100000",
  },
  command: {
    variable: "BIGQUERY_MCP_COMMAND",
    kind: "words",
    hint: "set BIGQUERY_MCP_COMMAND to the stdio server command, e.g. 'toolbox --prebuilt bigquery --stdio'",
  },
  connectTimeoutMs: {
    variable: "BIGQUERY_MCP_CONNECT_TIMEOUT_MS",
    kind: "integer",
    hint: "set BIGQUERY_MCP_CONNECT_TIMEOUT_MS to a whole number of milliseconds",
  },
  callTimeoutMs: {
    variable: "BIGQUERY_MCP_CALL_TIMEOUT_MS",
    kind: "integer",
    hint: "set BIGQUERY_MCP_CALL_TIMEOUT_MS to a whole number of milliseconds",
  },
};

/** Where `gcloud auth application-default login` writes user credentials. */
export function gcloudAdcFile(env: Env): string {
  const base = env.CLOUDSDK_CONFIG ?? join(env.HOME ?? homedir(), ".config", "gcloud");
  return join(base, "application_default_credentials.json");
}

/**
 * Validates BigQuery bridge settings: `options` first, the environment over them. Throws
 * BridgeCredentialsError when no credentials file is set or found, BridgeConfigError for anything else.
 */
export function resolveBigquerySettings(
  options: Partial<BigqueryBridgeSettingsInput>,
  env: Env = {},
): BigqueryBridgeSettings {
  const input = { ...options, ...readEnvFields(env, BIGQUERY_ENV_FIELDS) };
  if (input.project === undefined) {
    throw new BridgeConfigError(
      "The bigquery bridge needs a project: GOOGLE_CLOUD_PROJECT is not set. Set it to the id of the Google Cloud project that runs (and pays for) your queries.",
      { variables: ["GOOGLE_CLOUD_PROJECT"] },
    );
  }
  const settings = parseBridgeSettings(BigqueryBridgeSettingsSchema, input, BIGQUERY_ENV_FIELDS, "bigquery");
  if (settings.credentialsFile === undefined) {
    const adc = gcloudAdcFile(env);
    if (!existsSync(adc)) {
      throw new BridgeCredentialsError(
        "The bigquery bridge has no credentials: GOOGLE_APPLICATION_CREDENTIALS is not set and no gcloud application-default credentials were found. Set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file with the BigQuery Data Viewer and BigQuery Job User roles.",
        ["GOOGLE_APPLICATION_CREDENTIALS"],
      );
    }
    return { ...settings, credentialsFile: adc };
  }
  if (!existsSync(settings.credentialsFile)) {
    throw new BridgeCredentialsError(
      `The bigquery bridge's credentials file does not exist: GOOGLE_APPLICATION_CREDENTIALS points to ${settings.credentialsFile}. Set it to the path of a readable service-account key file.`,
      ["GOOGLE_APPLICATION_CREDENTIALS"],
    );
  }
  return settings;
}
