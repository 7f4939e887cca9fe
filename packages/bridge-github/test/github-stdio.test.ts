import { fileURLToPath } from "node:url";
import { createTestHarness } from "@waygate/plugin-sdk/testing";
import { describe, expect, it } from "vitest";
import { createGithubBridge } from "../src/index.js";
import { textOf } from "./helpers.js";

const FIXTURE = fileURLToPath(new URL("../../../fixtures/vendor-github.ts", import.meta.url));
const TSX_LOADER = import.meta.resolve("tsx");
const TOKEN = "ghp_stdio_token_not_in_argv";

describe("GitHub bridge with a local stdio server (like `github-mcp-server stdio`)", () => {
  it("hands the token, toolsets and read-only flag to the server in its environment, never its arguments", async () => {
    const command = [
      "env",
      "VENDOR_FIXTURE_SHOW_ENV=GITHUB_PERSONAL_ACCESS_TOKEN,GITHUB_TOOLSETS,GITHUB_READ_ONLY",
      process.execPath,
      "--import",
      TSX_LOADER,
      FIXTURE,
      "--stdio",
    ];
    const harness = await createTestHarness(
      createGithubBridge({ token: TOKEN, command, toolsets: ["issues"], owner: "acme" }),
    );
    try {
      expect((await harness.listTools()).map((tool) => tool.name)).toEqual(["list_issues"]);
      const result = await harness.callTool("list_issues", { owner: "acme", repo: "site" });
      expect(JSON.parse(textOf(result)).env).toEqual({
        GITHUB_PERSONAL_ACCESS_TOKEN: TOKEN,
        GITHUB_TOOLSETS: "issues",
        GITHUB_READ_ONLY: "1",
      });
      expect(command.join(" ")).not.toContain(TOKEN);
      const health = await harness.plugin.healthCheck();
      expect(health.details).toMatchObject({ transport: "stdio", command: "env", owner: "acme" });
      expect(JSON.stringify([health, harness.logs])).not.toContain(TOKEN);
    } finally {
      await harness.close();
    }
  });
});
