import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BridgeConfigError, bigqueryBridgeFromEnv, resolveBigquerySettings } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "waygate-bq-settings-"));
const keyFile = join(dir, "key.json");
writeFileSync(keyFile, "{}");
// HOME without gcloud credentials, so the fallback to application-default credentials finds nothing.
const base = { HOME: dir, GOOGLE_APPLICATION_CREDENTIALS: keyFile, GOOGLE_CLOUD_PROJECT: "demo-project" };

function thrown(run: () => unknown): BridgeConfigError {
  try {
    run();
  } catch (error) {
    if (BridgeConfigError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("expected a BridgeConfigError");
}

describe("BigQuery bridge settings from the environment", () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads project, dataset, limits and credentials path, read-only by default", () => {
    const settings = resolveBigquerySettings(
      {},
      {
        ...base,
        BIGQUERY_DATASET: "sales",
        BIGQUERY_MAXIMUM_BYTES_BILLED: "5000",
        BIGQUERY_MAX_QUERY_RESULT_ROWS: "20",
      },
    );
    expect(settings).toMatchObject({
      project: "demo-project",
      dataset: "sales",
      credentialsFile: keyFile,
      readOnly: true,
      maximumBytesBilled: 5000,
      maxRows: 20,
    });
  });

  it("caps bytes billed and rows by default", () => {
    const settings = resolveBigquerySettings({}, base);
    expect(settings.maximumBytesBilled).toBe(1_000_000_000);
    expect(settings.maxRows).toBe(100);
  });

  it("allows no table-valued or federated function by default, and reads a comma list of them", () => {
    expect(resolveBigquerySettings({}, base).allowedTableFunctions).toEqual([]);
    const settings = resolveBigquerySettings(
      {},
      { ...base, BIGQUERY_ALLOWED_TABLE_FUNCTIONS: "EXTERNAL_QUERY, sales.recent_orders ,`p-1.sales.f`" },
    );
    expect(settings.allowedTableFunctions).toEqual([
      "EXTERNAL_QUERY",
      "sales.recent_orders",
      "`p-1.sales.f`",
    ]);
  });

  it("rejects a table function name that is not a (dotted) identifier, naming BIGQUERY_ALLOWED_TABLE_FUNCTIONS", () => {
    const error = thrown(() =>
      resolveBigquerySettings({}, { ...base, BIGQUERY_ALLOWED_TABLE_FUNCTIONS: "EXTERNAL_QUERY('x')" }),
    );
    expect(error.code).toBe("BRIDGE_CONFIG_INVALID");
    expect(error.variables).toEqual(["BIGQUERY_ALLOWED_TABLE_FUNCTIONS"]);
  });

  it("allows no other project by default, and reads a comma list of project ids", () => {
    expect(resolveBigquerySettings({}, base).allowedProjects).toEqual([]);
    const settings = resolveBigquerySettings(
      {},
      { ...base, BIGQUERY_ALLOWED_PROJECTS: "bigquery-public-data, other-project-1" },
    );
    expect(settings.allowedProjects).toEqual(["bigquery-public-data", "other-project-1"]);
  });

  it("rejects an allowed project that is not a project id, naming BIGQUERY_ALLOWED_PROJECTS", () => {
    const error = thrown(() =>
      resolveBigquerySettings({}, { ...base, BIGQUERY_ALLOWED_PROJECTS: "bigquery-public-data,*" }),
    );
    expect(error.code).toBe("BRIDGE_CONFIG_INVALID");
    expect(error.variables).toEqual(["BIGQUERY_ALLOWED_PROJECTS"]);
  });

  it("names GOOGLE_CLOUD_PROJECT when it is missing", () => {
    const error = thrown(() => bigqueryBridgeFromEnv({ ...base, GOOGLE_CLOUD_PROJECT: undefined }));
    expect(error.code).toBe("BRIDGE_CONFIG_INVALID");
    expect(error.variables).toEqual(["GOOGLE_CLOUD_PROJECT"]);
    expect(error.message).toMatch(/GOOGLE_CLOUD_PROJECT is not set/);
  });

  it("reports missing credentials naming GOOGLE_APPLICATION_CREDENTIALS", () => {
    const error = thrown(() =>
      resolveBigquerySettings({}, { ...base, GOOGLE_APPLICATION_CREDENTIALS: undefined }),
    );
    expect(error.code).toBe("BRIDGE_CREDENTIALS_MISSING");
    expect(error.variables).toEqual(["GOOGLE_APPLICATION_CREDENTIALS"]);
  });

  it("reports a credentials path that does not exist", () => {
    const error = thrown(() =>
      resolveBigquerySettings({}, { ...base, GOOGLE_APPLICATION_CREDENTIALS: join(dir, "missing.json") }),
    );
    expect(error.code).toBe("BRIDGE_CREDENTIALS_MISSING");
    expect(error.message).toMatch(/does not exist/);
  });

  it("falls back to gcloud application-default credentials when present", () => {
    const gcloud = join(dir, ".config", "gcloud");
    const adc = join(gcloud, "application_default_credentials.json");
    mkdirSync(gcloud, { recursive: true });
    writeFileSync(adc, "{}");
    const settings = resolveBigquerySettings({}, { ...base, GOOGLE_APPLICATION_CREDENTIALS: undefined });
    expect(settings.credentialsFile).toBe(adc);
    rmSync(join(dir, ".config"), { recursive: true });
  });

  it("rejects a non-numeric byte cap, a bad dataset id and a bad project id, naming each variable", () => {
    const error = thrown(() =>
      resolveBigquerySettings(
        {},
        {
          ...base,
          GOOGLE_CLOUD_PROJECT: "X",
          BIGQUERY_DATASET: "no-dashes",
          BIGQUERY_MAXIMUM_BYTES_BILLED: "1GB",
        },
      ),
    );
    expect(error.variables).toEqual(
      expect.arrayContaining(["GOOGLE_CLOUD_PROJECT", "BIGQUERY_DATASET", "BIGQUERY_MAXIMUM_BYTES_BILLED"]),
    );
    expect(error.message).toMatch(/BIGQUERY_MAXIMUM_BYTES_BILLED \(option 'maximumBytesBilled'\)/);
  });

  it("reads BIGQUERY_LOCATION and the bridge's timeouts from BIGQUERY_MCP_CONNECT_TIMEOUT_MS and BIGQUERY_MCP_CALL_TIMEOUT_MS", () => {
    const env = {
      ...base,
      BIGQUERY_LOCATION: "EU",
      BIGQUERY_MCP_CONNECT_TIMEOUT_MS: "2500",
      BIGQUERY_MCP_CALL_TIMEOUT_MS: "9000",
    };
    expect(resolveBigquerySettings({}, env)).toMatchObject({
      location: "EU",
      connectTimeoutMs: 2500,
      callTimeoutMs: 9000,
    });
    expect(() => resolveBigquerySettings({}, { ...env, BIGQUERY_MCP_CALL_TIMEOUT_MS: "soon" })).toThrow(
      /BIGQUERY_MCP_CALL_TIMEOUT_MS/,
    );
  });
});
