import type { WaygatePlugin } from "@waygate/plugin-sdk";
import { createSilentLogger } from "@waygate/plugin-sdk";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadPlugins } from "../src/runtime/load-plugins.js";
import { tempDir } from "./helpers.js";

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await dir.cleanup();
});

async function startFailure(plugin: WaygatePlugin): Promise<{ code?: string; message: string }> {
  try {
    await plugin.start({ logger: createSilentLogger() });
    return { message: "started" };
  } catch (error) {
    return error as { code?: string; message: string };
  } finally {
    await plugin.shutdown();
  }
}

describe("loadPlugins", () => {
  it("gives a bridge the environment it is passed, not process.env", async () => {
    expect(process.env.WAYGATE_TEST_MARKER).toBeUndefined();
    const {
      plugins: [loaded],
    } = await loadPlugins(["@waygate/bridge-bigquery"], dir.path, {
      HOME: dir.path,
      GOOGLE_CLOUD_PROJECT: "demo-waygate",
      GOOGLE_APPLICATION_CREDENTIALS: `${dir.path}/WAYGATE_TEST_MARKER.json`,
    });
    const failure = await startFailure(loaded?.plugin as WaygatePlugin);
    expect(failure.code).toBe("BRIDGE_CREDENTIALS_MISSING");
    expect(failure.message).toContain("WAYGATE_TEST_MARKER.json");
  });

  it("loads each bridge package as a plugin named after the bridge, failing only when started", async () => {
    const { plugins: loaded } = await loadPlugins(
      ["@waygate/bridge-github", "@waygate/bridge-firebase", "@waygate/bridge-bigquery"],
      dir.path,
      { HOME: dir.path },
    );
    const plugins = loaded.map((entry) => entry.plugin as WaygatePlugin);
    expect(plugins.map((plugin) => plugin.metadata.name)).toEqual(["github", "firebase", "bigquery"]);
    const failures = await Promise.all(plugins.map(startFailure));
    expect(failures.map((failure) => failure.message)).toEqual([
      expect.stringContaining("GITHUB_TOKEN is not set"),
      expect.stringContaining("FIREBASE_PROJECT_ID is not set"),
      expect.stringContaining("GOOGLE_CLOUD_PROJECT is not set"),
    ]);
  });

  it("refuses a package that is not installed, naming it and how to install it", async () => {
    await expect(loadPlugins(["@waygate/bridge-nowhere"], dir.path, {})).rejects.toMatchObject({
      issues: [
        expect.objectContaining({
          path: "plugins[0]",
          message: expect.stringContaining("@waygate/bridge-nowhere is not installed"),
          fix: "npm install @waygate/bridge-nowhere where the gateway runs",
        }),
      ],
    });
  });
});
