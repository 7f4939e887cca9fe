import { describe, expect, it } from "vitest";
import {
  BridgeConfigError,
  BridgeCredentialsError,
  GITHUB_REMOTE_MCP_URL,
  githubBridgeFromEnv,
  resolveGithubSettings,
} from "../src/index.js";

const TOKEN = "ghp_secretsecretsecret";

function thrown(run: () => unknown): BridgeConfigError {
  try {
    run();
  } catch (error) {
    if (BridgeConfigError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("expected a BridgeConfigError");
}

describe("GitHub bridge settings from the environment", () => {
  it("reads token, owner, read-only flag and toolsets, with the remote endpoint by default", () => {
    const settings = resolveGithubSettings(
      {},
      {
        GITHUB_TOKEN: TOKEN,
        GITHUB_OWNER: "acme-inc",
        GITHUB_TOOLSETS: "repos, issues",
        GITHUB_READ_ONLY: "no",
      },
    );
    expect(settings).toMatchObject({
      token: TOKEN,
      owner: "acme-inc",
      toolsets: ["repos", "issues"],
      readOnly: false,
      url: GITHUB_REMOTE_MCP_URL,
    });
    expect(settings.command).toBeUndefined();
  });

  it("is read-only by default and takes a stdio command from GITHUB_MCP_COMMAND", () => {
    const settings = resolveGithubSettings(
      {},
      { GITHUB_TOKEN: TOKEN, GITHUB_MCP_COMMAND: "github-mcp-server stdio" },
    );
    expect(settings.readOnly).toBe(true);
    expect(settings.command).toEqual(["github-mcp-server", "stdio"]);
  });

  it("lets the environment override options from the config file", () => {
    const settings = resolveGithubSettings(
      { owner: "from-file" },
      { GITHUB_TOKEN: TOKEN, GITHUB_OWNER: "from-env" },
    );
    expect(settings.owner).toBe("from-env");
  });

  it("reports a missing GITHUB_TOKEN as missing credentials naming the variable", () => {
    const error = thrown(() => githubBridgeFromEnv({ GITHUB_OWNER: "acme" }));
    expect(error).toBeInstanceOf(BridgeCredentialsError);
    expect(error.code).toBe("BRIDGE_CREDENTIALS_MISSING");
    expect(error.variables).toEqual(["GITHUB_TOKEN"]);
    expect(error.message).toMatch(/GITHUB_TOKEN is not set/);
  });

  it("rejects a malformed GITHUB_OWNER, naming the variable and what to set, without echoing the token", () => {
    const error = thrown(() =>
      resolveGithubSettings({}, { GITHUB_TOKEN: TOKEN, GITHUB_OWNER: "not/an owner" }),
    );
    expect(error.code).toBe("BRIDGE_CONFIG_INVALID");
    expect(error.variables).toEqual(["GITHUB_OWNER"]);
    expect(error.message).toMatch(/GITHUB_OWNER \(option 'owner'\): must be a GitHub login/);
    expect(error.message).toMatch(/set GITHUB_OWNER to the user or organization/);
    expect(error.message).not.toContain(TOKEN);
  });

  it("rejects a GITHUB_READ_ONLY that is not a boolean and a GITHUB_MCP_URL that is not http(s), listing both", () => {
    const error = thrown(() =>
      resolveGithubSettings(
        {},
        { GITHUB_TOKEN: TOKEN, GITHUB_READ_ONLY: "maybe", GITHUB_MCP_URL: "ftp://x" },
      ),
    );
    expect(error.variables).toEqual(expect.arrayContaining(["GITHUB_READ_ONLY", "GITHUB_MCP_URL"]));
    expect(error.message).toMatch(/GITHUB_READ_ONLY .*set GITHUB_READ_ONLY to true \(default\) or false/);
    expect(error.message).toMatch(/GITHUB_MCP_URL .*must be an http\(s\) URL/);
  });

  it("rejects toolset names that GitHub cannot have", () => {
    const error = thrown(() =>
      resolveGithubSettings({}, { GITHUB_TOKEN: TOKEN, GITHUB_TOOLSETS: "repos,Issues!" }),
    );
    expect(error.variables).toEqual(["GITHUB_TOOLSETS"]);
  });

  it("reads the bridge's connect and call timeouts from GITHUB_MCP_CONNECT_TIMEOUT_MS and GITHUB_MCP_CALL_TIMEOUT_MS", () => {
    const env = {
      GITHUB_TOKEN: TOKEN,
      GITHUB_MCP_CONNECT_TIMEOUT_MS: "2500",
      GITHUB_MCP_CALL_TIMEOUT_MS: "9000",
    };
    expect(resolveGithubSettings({}, env)).toMatchObject({ connectTimeoutMs: 2500, callTimeoutMs: 9000 });
    const error = thrown(() => resolveGithubSettings({}, { ...env, GITHUB_MCP_CALL_TIMEOUT_MS: "soon" }));
    expect(error.variables).toEqual(["GITHUB_MCP_CALL_TIMEOUT_MS"]);
  });
});
