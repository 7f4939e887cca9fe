import { createMemoryLogger } from "@waygate/plugin-sdk";
import { loadPlugin } from "@waygate/plugin-sdk/loader";
import { createTestHarness, type TestHarness } from "@waygate/plugin-sdk/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type GithubFixture, startGithubFixture } from "../../../fixtures/vendor-github.js";
import { createGithubBridge, GithubBridge, type GithubBridgeSettingsInput } from "../src/index.js";
import { closedPort, textOf } from "./helpers.js";

const TOKEN = "ghp_fixturetoken_must_not_leak";

describe("GitHub bridge against the GitHub look-alike fixture (Streamable HTTP on loopback)", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function fixture(options: { honourReadOnlyHeader?: boolean } = {}): Promise<GithubFixture> {
    const started = await startGithubFixture({ token: TOKEN, ...options });
    cleanups.push(() => started.close());
    return started;
  }

  async function bridge(upstream: GithubFixture, settings: Partial<GithubBridgeSettingsInput> = {}) {
    const harness = await createTestHarness(
      createGithubBridge({ token: TOKEN, url: upstream.url, ...settings }),
    );
    cleanups.push(() => harness.close());
    return harness;
  }

  const names = async (harness: TestHarness) => (await harness.listTools()).map((tool) => tool.name).sort();

  it("exposes only read-only tools by default, from readOnlyHint or the maintained list, even when the upstream ignores X-MCP-Readonly", async () => {
    const upstream = await fixture({ honourReadOnlyHeader: false });
    const harness = await bridge(upstream);
    expect(await names(harness)).toEqual([
      "get_file_contents",
      "get_me",
      "list_branches",
      "list_issues",
      "search_code",
      "search_repositories",
    ]);
  });

  it("sends the token as a Bearer header with the read-only and toolset headers GitHub's server reads", async () => {
    const upstream = await fixture();
    const harness = await bridge(upstream, { toolsets: ["issues", "context"] });
    expect(await names(harness)).toEqual(["get_me", "list_issues"]);
    expect(upstream.requests.length).toBeGreaterThan(0);
    for (const request of upstream.requests) {
      expect(request).toEqual({
        authorization: `Bearer ${TOKEN}`,
        toolsets: "issues,context",
        readonly: "true",
      });
    }
  });

  it("exposes write tools when read-only is turned off", async () => {
    const upstream = await fixture();
    const harness = await bridge(upstream, { readOnly: false });
    expect(await names(harness)).toEqual(expect.arrayContaining(["create_issue", "create_or_update_file"]));
    expect(upstream.requests.every((request) => request.readonly === undefined)).toBe(true);
  });

  it("forwards a call on the configured owner's repository", async () => {
    const upstream = await fixture();
    const harness = await bridge(upstream, { owner: "acme" });
    const result = await harness.callTool("get_file_contents", {
      owner: "acme",
      repo: "site",
      path: "README.md",
    });
    expect(result.isError).toBeFalsy();
    expect(JSON.parse(textOf(result))).toEqual({
      tool: "get_file_contents",
      args: { owner: "acme", repo: "site", path: "README.md" },
    });
    expect(upstream.calls).toHaveLength(1);
  });

  it("denies a call naming another owner before it reaches GitHub, and logs the denial without the token", async () => {
    const upstream = await fixture();
    const harness = await bridge(upstream, { owner: "acme" });
    const result = await harness.callTool("list_issues", { owner: "someone-else", repo: "secrets" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(
      "Denied by the 'github' bridge: owner 'someone-else' is not allowed: GITHUB_OWNER restricts calls to 'acme'",
    );
    expect(result._meta).toEqual({
      "waygate/denied": {
        bridge: "github",
        reason: "owner 'someone-else' is not allowed: GITHUB_OWNER restricts calls to 'acme'",
      },
    });
    expect(upstream.calls).toEqual([]);
    expect(harness.logs).toContainEqual(
      expect.objectContaining({ level: "warn", message: "call denied by bridge policy" }),
    );
    expect(JSON.stringify(harness.logs)).not.toContain(TOKEN);
  });

  it("denies a code search that is not scoped to the owner and forwards one that is", async () => {
    const upstream = await fixture();
    const harness = await bridge(upstream, { owner: "acme" });
    const unscoped = await harness.callTool("search_code", { query: "password" });
    expect(unscoped.isError).toBe(true);
    expect(textOf(unscoped)).toMatch(/add user:acme or org:acme/);
    const scoped = await harness.callTool("search_code", { query: "password org:acme" });
    expect(scoped.isError).toBeFalsy();
    expect(upstream.calls.map((call) => call.args)).toEqual([{ query: "password org:acme" }]);
  });

  it("denies a write tool called by name in read-only mode without forwarding it", async () => {
    const upstream = await fixture({ honourReadOnlyHeader: false });
    const harness = await bridge(upstream);
    const result = await harness.callTool("create_issue", { owner: "acme", repo: "site", title: "x" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(
      /'create_issue' can write to GitHub and the bridge is read-only; set GITHUB_READ_ONLY=false/,
    );
    expect(upstream.calls).toEqual([]);
  });

  it("fails to start with a clear status when GitHub rejects the token", async () => {
    const upstream = await fixture();
    const plugin = createGithubBridge({ token: "wrong-token", url: upstream.url, connectTimeoutMs: 5_000 });
    cleanups.push(() => plugin.shutdown());
    await expect(plugin.start()).rejects.toThrow(/Upstream 'github' failed initialize/);
    expect(plugin.getStatus()).toMatchObject({
      state: "failed",
      lastError: { code: "UPSTREAM_UNAVAILABLE" },
    });
    expect(JSON.stringify(plugin.getStatus())).not.toContain("wrong-token");
  });

  it("reports 'upstream unreachable' on a closed loopback port in status and health, without the token", async () => {
    const port = await closedPort();
    const plugin = createGithubBridge({
      token: TOKEN,
      url: `http://127.0.0.1:${port}/mcp/`,
      connectTimeoutMs: 5_000,
    });
    cleanups.push(() => plugin.shutdown());
    const logger = createMemoryLogger();
    await expect(plugin.start({ logger })).rejects.toThrow(/Upstream 'github' failed initialize/);
    expect(plugin.getStatus()).toMatchObject({
      state: "failed",
      lastError: { code: "UPSTREAM_UNAVAILABLE" },
    });
    const health = await plugin.healthCheck();
    expect(health).toMatchObject({
      healthy: false,
      details: { state: "failed", code: "UPSTREAM_UNAVAILABLE" },
    });
    expect(JSON.stringify([health, plugin.getStatus(), logger.records])).not.toContain(TOKEN);
  });

  it("is healthy while the upstream answers pings, and says which owner and mode it runs with", async () => {
    const upstream = await fixture();
    const harness = await bridge(upstream, { owner: "acme" });
    const health = await harness.plugin.healthCheck();
    expect(health).toMatchObject({
      healthy: true,
      details: { transport: "http", owner: "acme", readOnly: true, state: "ready" },
    });
    expect(JSON.stringify(health)).not.toContain(TOKEN);
  });
});

describe("GitHub bridge as the gateway loads it (default export, settings from the environment at start)", () => {
  it("loads as failed with BRIDGE_CREDENTIALS_MISSING naming GITHUB_TOKEN when the token is not set", async () => {
    const loaded = await loadPlugin(new GithubBridge({ env: { GITHUB_OWNER: "acme" } }));
    expect(loaded.status).toBe("failed");
    expect(loaded.plugin?.getStatus().lastError).toMatchObject({ code: "BRIDGE_CREDENTIALS_MISSING" });
    expect(loaded.plugin?.getStatus().lastError?.message).toMatch(/GITHUB_TOKEN is not set/);
  });

  it("starts from GITHUB_* variables and the config file's options", async () => {
    const upstream = await startGithubFixture({ token: TOKEN });
    try {
      const plugin = new GithubBridge({ env: { GITHUB_TOKEN: TOKEN, GITHUB_MCP_URL: upstream.url } });
      const loaded = await loadPlugin(plugin, { config: { owner: "acme" } });
      expect(loaded.status).toBe("ready");
      const denied = await plugin.callTool(
        "list_issues",
        { owner: "other", repo: "x" },
        {
          signal: new AbortController().signal,
          caller: { keyId: null, scopes: [] },
          requestId: "r1",
          reportProgress: () => {},
        },
      );
      expect(denied.isError).toBe(true);
      await plugin.shutdown();
    } finally {
      await upstream.close();
    }
  });

  it("rejects bad options from the config file with the variable and option named", async () => {
    const loaded = await loadPlugin(new GithubBridge({ env: { GITHUB_TOKEN: TOKEN } }), {
      config: { owner: "a b" },
    });
    expect(loaded.status).toBe("failed");
    expect(loaded.error?.message).toMatch(/GITHUB_OWNER \(option 'owner'\)/);
  });
});
