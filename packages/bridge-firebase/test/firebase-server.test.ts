import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestHarness } from "@waygate/plugin-sdk/testing";
import { afterAll, describe, expect, it } from "vitest";
import { FirebaseBridge, resolveFirebaseCli } from "../src/index.js";
import { textOf, writeThrowawayServiceAccount } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "waygate-fb-real-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Only features served by the CLI itself: firestore, dataconnect and developerknowledge list their tools from
// Google's hosted MCP servers, which cannot be reached here.
describe("Firebase bridge with the real Firebase CLI MCP server (firebase-tools, offline features)", () => {
  it("starts `firebase mcp` pinned to FIREBASE_PROJECT_ID, lists its tools and hides the cross-project ones", async () => {
    const keyFile = writeThrowawayServiceAccount(dir, "demo-project");
    const plugin = new FirebaseBridge({
      env: {
        HOME: dir,
        FIREBASE_PROJECT_ID: "demo-project",
        GOOGLE_APPLICATION_CREDENTIALS: keyFile,
        FIREBASE_MCP_FEATURES: "auth,storage",
      },
    });
    const harness = await createTestHarness(plugin);
    try {
      const names = (await harness.listTools()).map((tool) => tool.name);
      expect(names).toEqual(
        expect.arrayContaining([
          "auth_get_users",
          "storage_get_object_download_url",
          "firebase_get_environment",
        ]),
      );
      expect(names).not.toContain("firebase_list_projects");
      expect(names).not.toContain("firebase_login");
      const environment = await harness.callTool("firebase_get_environment", {});
      expect(textOf(environment)).toMatch(/Active Project ID: demo-project/);
      const otherProject = await harness.callTool("firebase_update_environment", {
        active_project: "someone-else",
      });
      expect(textOf(otherProject)).toMatch(
        /project 'someone-else' is not allowed: FIREBASE_PROJECT_ID restricts/,
      );
    } finally {
      await harness.close();
    }
  });

  it("finds the Firebase CLI as the default server command", () => {
    expect(resolveFirebaseCli()).toMatch(/firebase-tools\/lib\/bin\/firebase\.js$/);
  });
});
