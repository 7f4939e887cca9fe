import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestHarness, type TestHarness } from "@waygate/plugin-sdk/testing";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createFirebaseBridge, FirebaseBridge, type FirebaseBridgeSettingsInput } from "../src/index.js";
import { firebaseFixtureCommand, textOf } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "waygate-fb-bridge-"));
const keyFile = join(dir, "key.json");
writeFileSync(keyFile, '{"private_key":"must-not-leak"}');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("Firebase bridge against the Firebase MCP look-alike fixture (stdio)", () => {
  const harnesses: TestHarness[] = [];
  let callLog = "";
  afterEach(async () => {
    await Promise.all(harnesses.splice(0).map((harness) => harness.close()));
  });
  async function bridge(settings: Partial<FirebaseBridgeSettingsInput> = {}) {
    callLog = join(dir, `calls-${Date.now()}-${harnesses.length}.jsonl`);
    writeFileSync(callLog, "");
    const command = firebaseFixtureCommand({
      VENDOR_FIXTURE_CALL_LOG: callLog,
      VENDOR_FIXTURE_SHOW_ENV: "GOOGLE_APPLICATION_CREDENTIALS",
    });
    const harness = await createTestHarness(
      createFirebaseBridge({ project: "demo-project", credentialsFile: keyFile, command, ...settings }),
    );
    harnesses.push(harness);
    return harness;
  }
  const received = () =>
    readFileSync(callLog, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { tool: string; args: Record<string, unknown> });

  it("hides project listing and interactive login, and hands the server the credentials path", async () => {
    const harness = await bridge();
    const names = (await harness.listTools()).map((tool) => tool.name);
    expect(names).toContain("firebase_get_project");
    expect(names).not.toContain("firebase_list_projects");
    expect(names).not.toContain("firebase_login");
    const result = await harness.callTool("firebase_get_project", {});
    expect(JSON.parse(textOf(result)).env).toEqual({ GOOGLE_APPLICATION_CREDENTIALS: keyFile });
  });

  it.each([
    ["firebase_create_project", { project_id: "other-project" }, /project 'other-project' is not allowed/],
    [
      "firebase_update_environment",
      { active_project: "other-project" },
      /project 'other-project' is not allowed/,
    ],
    [
      "firebase_update_environment",
      { project_dir: "/elsewhere" },
      /changing the project directory is not allowed/,
    ],
    [
      "firebase_update_environment",
      { active_user_account: "x@y.z" },
      /changing the active account is not allowed/,
    ],
    [
      "realtimedatabase_get_data",
      { databaseUrl: "https://other-project-default-rtdb.firebaseio.com", path: "/" },
      /database '.*' is not in project 'demo-project'/,
    ],
    [
      "storage_get_object_download_url",
      { bucket: "gs://other-project.appspot.com", object_path: "a.png" },
      /bucket '.*' is not the default bucket of project 'demo-project'/,
    ],
  ])("denies %s with %j before it reaches the server", async (name, args, expected) => {
    const harness = await bridge();
    const result = await harness.callTool(name, args);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^Denied by the 'firebase' bridge: /);
    expect(textOf(result)).toMatch(expected);
    expect(received()).toEqual([]);
  });

  it("forwards calls inside the project: its database, its default bucket, its own id", async () => {
    const harness = await bridge();
    for (const [name, args] of [
      [
        "realtimedatabase_get_data",
        { databaseUrl: "https://demo-project-default-rtdb.firebaseio.com", path: "/a" },
      ],
      [
        "storage_get_object_download_url",
        { bucket: "demo-project.firebasestorage.app", object_path: "a.png" },
      ],
      ["firebase_update_environment", { active_project: "demo-project" }],
    ] as const) {
      expect((await harness.callTool(name, args)).isError).toBeFalsy();
    }
    expect(received().map((call) => call.tool)).toEqual([
      "realtimedatabase_get_data",
      "storage_get_object_download_url",
      "firebase_update_environment",
    ]);
  });

  it("fills in FIREBASE_REGION as the location of tools that take one, unless the caller gave one", async () => {
    const harness = await bridge({ region: "europe-west1" });
    await harness.callTool("apphosting_list_backends", {});
    await harness.callTool("apphosting_list_backends", { location: "us-central1" });
    await harness.callTool("auth_get_users", { limit: 1 });
    expect(received().map((call) => call.args)).toEqual([
      { location: "europe-west1" },
      { location: "us-central1" },
      { limit: 1 },
    ]);
  });

  it("exposes only read-only tools when FIREBASE_READ_ONLY is on", async () => {
    const harness = await bridge({ readOnly: true });
    const names = (await harness.listTools()).map((tool) => tool.name).sort();
    expect(names).toEqual([
      "apphosting_list_backends",
      "auth_get_users",
      "firebase_get_environment",
      "firebase_get_project",
      "realtimedatabase_get_data",
      "storage_get_object_download_url",
    ]);
    const write = await harness.callTool("realtimedatabase_set_data", { path: "/a", data: "1" });
    expect(textOf(write)).toMatch(/the bridge is read-only; set FIREBASE_READ_ONLY=false/);
  });

  it("pins the server with a .firebaserc naming the project, and removes it on shutdown", async () => {
    const plugin = createFirebaseBridge({
      project: "demo-project",
      credentialsFile: keyFile,
      command: firebaseFixtureCommand({}),
    });
    await plugin.start();
    const cwd = plugin.projectDir ?? "";
    expect(JSON.parse(readFileSync(join(cwd, ".firebaserc"), "utf8"))).toEqual({
      projects: { default: "demo-project" },
    });
    await plugin.shutdown();
    expect(existsSync(cwd)).toBe(false);
  });

  it("keeps the credentials file's contents out of logs and health", async () => {
    const harness = await bridge();
    await harness.callTool("firebase_create_project", { project_id: "other-project" });
    const health = await harness.plugin.healthCheck();
    expect(health).toMatchObject({ healthy: true, details: { project: "demo-project" } });
    expect(JSON.stringify([harness.logs, health])).not.toContain("must-not-leak");
  });
});

describe("Firebase bridge as the gateway starts it (settings from the environment)", () => {
  it("fails its start with BRIDGE_CREDENTIALS_MISSING naming GOOGLE_APPLICATION_CREDENTIALS", async () => {
    const home = mkdtempSync(join(tmpdir(), "waygate-fb-home-"));
    const plugin = new FirebaseBridge({ env: { HOME: home, FIREBASE_PROJECT_ID: "demo-project" } });
    try {
      await expect(plugin.start()).rejects.toThrow(/GOOGLE_APPLICATION_CREDENTIALS is not set/);
      expect(plugin.getStatus()).toMatchObject({
        state: "failed",
        lastError: { code: "BRIDGE_CREDENTIALS_MISSING" },
      });
      expect(await plugin.healthCheck()).toMatchObject({ healthy: false });
    } finally {
      await plugin.shutdown();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("fails its start naming FIREBASE_PROJECT_ID when it is missing", async () => {
    const plugin = new FirebaseBridge({ env: {} });
    await expect(plugin.start()).rejects.toThrow(/FIREBASE_PROJECT_ID is not set/);
    expect(plugin.getStatus().lastError?.code).toBe("BRIDGE_CONFIG_INVALID");
  });

  it("reports an upstream that cannot start (missing program) as failed", async () => {
    const plugin = createFirebaseBridge({
      project: "demo-project",
      credentialsFile: keyFile,
      command: [join(dir, "no-such-firebase")],
      connectTimeoutMs: 5_000,
    });
    try {
      await expect(plugin.start()).rejects.toThrow(/Upstream 'firebase'/);
      expect(plugin.getStatus()).toMatchObject({
        state: "failed",
        lastError: { code: expect.stringMatching(/^UPSTREAM_/) },
      });
    } finally {
      await plugin.shutdown();
    }
  });
});
