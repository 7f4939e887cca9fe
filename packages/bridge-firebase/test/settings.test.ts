import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BridgeConfigError, firebaseBridgeFromEnv, resolveFirebaseSettings } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "waygate-fb-settings-"));
const keyFile = join(dir, "key.json");
writeFileSync(keyFile, "{}");
const base = { HOME: dir, GOOGLE_APPLICATION_CREDENTIALS: keyFile, FIREBASE_PROJECT_ID: "demo-project" };

function thrown(run: () => unknown): BridgeConfigError {
  try {
    run();
  } catch (error) {
    if (BridgeConfigError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("expected a BridgeConfigError");
}

describe("Firebase bridge settings from the environment", () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads project, region, features and credentials path", () => {
    const settings = resolveFirebaseSettings(
      {},
      { ...base, FIREBASE_REGION: "europe-west1", FIREBASE_MCP_FEATURES: "auth, storage" },
    );
    expect(settings).toMatchObject({
      project: "demo-project",
      region: "europe-west1",
      features: ["auth", "storage"],
      credentialsFile: keyFile,
      readOnly: false,
    });
  });

  it("names an unknown feature and lists the ones that exist", () => {
    const error = thrown(() =>
      resolveFirebaseSettings({}, { ...base, FIREBASE_MCP_FEATURES: "auth,hosting" }),
    );
    expect(error.variables).toEqual(["FIREBASE_MCP_FEATURES"]);
    expect(error.message).toMatch(
      /FIREBASE_MCP_FEATURES \(option 'features'\).*apphosting, apptesting, auth/,
    );
  });

  it("rejects a malformed project id and region, naming both variables", () => {
    const error = thrown(() =>
      resolveFirebaseSettings({}, { ...base, FIREBASE_PROJECT_ID: "Bad_Project", FIREBASE_REGION: "mars" }),
    );
    expect(error.variables).toEqual(expect.arrayContaining(["FIREBASE_PROJECT_ID", "FIREBASE_REGION"]));
  });

  it("reports missing credentials as BRIDGE_CREDENTIALS_MISSING", () => {
    const error = thrown(() => firebaseBridgeFromEnv({ ...base, GOOGLE_APPLICATION_CREDENTIALS: undefined }));
    expect(error.code).toBe("BRIDGE_CREDENTIALS_MISSING");
    expect(error.variables).toEqual(["GOOGLE_APPLICATION_CREDENTIALS"]);
  });

  it("rejects a FIREBASE_PROJECT_DIR that does not exist", () => {
    const error = thrown(() =>
      resolveFirebaseSettings({}, { ...base, FIREBASE_PROJECT_DIR: join(dir, "nope") }),
    );
    expect(error.variables).toEqual(["FIREBASE_PROJECT_DIR"]);
    expect(error.message).toMatch(/does not exist/);
  });

  it("reads the bridge's connect and call timeouts from FIREBASE_MCP_CONNECT_TIMEOUT_MS and FIREBASE_MCP_CALL_TIMEOUT_MS", () => {
    const env = { ...base, FIREBASE_MCP_CONNECT_TIMEOUT_MS: "2500", FIREBASE_MCP_CALL_TIMEOUT_MS: "9000" };
    expect(resolveFirebaseSettings({}, env)).toMatchObject({ connectTimeoutMs: 2500, callTimeoutMs: 9000 });
    expect(() => resolveFirebaseSettings({}, { ...env, FIREBASE_MCP_CONNECT_TIMEOUT_MS: "soon" })).toThrow(
      /FIREBASE_MCP_CONNECT_TIMEOUT_MS/,
    );
  });
});
