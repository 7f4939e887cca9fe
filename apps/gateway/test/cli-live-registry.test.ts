import { writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type GatewayProcess, startGateway } from "./gateway-process.js";
import { tempDir, writeJson } from "./helpers.js";
import { runCli } from "./run-cli.js";

const sdkUrl = pathToFileURL(createRequire(import.meta.url).resolve("@waygate/plugin-sdk")).href;

let dir: { path: string; cleanup: () => Promise<void> };
let gateway: GatewayProcess | undefined;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
  await dir.cleanup();
});

/** A one-file plugin whose `which` tool answers `answer`. */
async function writePlugin(answer: string): Promise<void> {
  await writeFile(
    join(dir.path, "filed.mjs"),
    `import { definePlugin, tool } from ${JSON.stringify(sdkUrl)};
export default definePlugin({ name: "filed", version: "1.0.0", tools: {
  which: tool({ description: "Says which code runs", input: {}, handler: () => ${JSON.stringify(answer)} }),
} });
`,
  );
}

async function execute(url: string, tool: string) {
  const response = await fetch(`${url}/mcp/execute`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ tool, arguments: {} }),
  });
  return (await response.json()) as { result: { content: { text: string }[] } };
}

describe("plugins, settings and metrics through the CLI and a running gateway", () => {
  it("starts despite a plugin that fails to import, records both, reloads the file plugin's code", async () => {
    await writePlugin("first");
    await writeFile(join(dir.path, "broken.mjs"), "export default {");
    await writeJson(dir.path, "waygate.json", { plugins: ["./filed.mjs", "./broken.mjs"] });
    const env = { WAYGATE_CONFIG: "waygate.json", WAYGATE_AUTH: "none", WAYGATE_INSTANCE_ID: "cli-test" };

    const empty = await runCli(["plugins", "list"], { cwd: dir.path, env });
    expect(empty.code).toBe(0);
    expect(empty.stderr).toContain("no gateway has recorded plugins in this database yet");

    gateway = await startGateway(dir.path, env);
    expect(gateway.stderr()).toContain("warning: plugin ./broken.mjs failed to import");
    expect((await execute(gateway.url, "filed__which")).result.content[0]?.text).toBe("first");

    const listed = await runCli(["plugins", "list", "--json"], { cwd: dir.path, env });
    expect(listed.code).toBe(0);
    const rows = JSON.parse(listed.stdout) as { name: string; status: string; lastError: string | null }[];
    expect(rows.find((r) => r.name === "filed")).toMatchObject({ status: "loaded", source: "./filed.mjs" });
    expect(rows.find((r) => r.name === "broken")).toMatchObject({ status: "failed" });
    expect(rows.find((r) => r.name === "broken")?.lastError).toBeTruthy();

    await writePlugin("second");
    const reload = await fetch(`${gateway.url}/plugins/filed/reload`, { method: "POST" });
    expect(await reload.json()).toMatchObject({ reloaded: true, code: "reloaded" });
    expect((await execute(gateway.url, "filed__which")).result.content[0]?.text).toBe("second");
  });

  it("sets, lists with origins, refuses bad settings, and the running gateway applies a change", async () => {
    await writeJson(dir.path, "waygate.json", {
      gateway: { mcpMaxSessions: 20, metricsHistory: { retainDays: 30 } },
    });
    const env = {
      WAYGATE_CONFIG: "waygate.json",
      WAYGATE_AUTH: "none",
      LOG_LEVEL: "warn",
      CORS_ORIGINS: "https://app.example.com",
    };
    gateway = await startGateway(dir.path, env);

    const set = await runCli(["config", "set", "pinning.mode", "strict"], { cwd: dir.path, env });
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('pinning.mode set to "strict"');
    const listed = await runCli(["config", "list", "--origin", "--json"], { cwd: dir.path, env });
    const byKey = Object.fromEntries(
      (JSON.parse(listed.stdout) as { key: string; origin: string; value: unknown }[]).map((r) => [r.key, r]),
    );
    expect(byKey["pinning.mode"]).toMatchObject({ value: "strict", origin: "database" });
    expect(byKey["log.level"]).toMatchObject({ value: "warn", origin: "environment" });
    expect(byKey["mcp.maxSessions"]).toMatchObject({ value: 20, origin: "file" });
    expect(byKey["metrics.retainDays"]).toMatchObject({ value: 30, origin: "file" });
    expect(byKey["metrics.downsampleAfterHours"]).toMatchObject({ value: 48, origin: "default" });
    expect(byKey["cors.origins"]).toMatchObject({
      value: ["https://app.example.com"],
      origin: "environment",
    });
    const table = await runCli(["config", "list", "--origin"], { cwd: dir.path, env });
    expect(table.stdout).toMatch(/pinning\.mode\s+"strict"\s+database/);

    const url = gateway.url;
    await vi.waitFor(
      async () => {
        const entry = (await (await fetch(`${url}/admin/config/pinning.mode`)).json()) as Record<
          string,
          unknown
        >;
        expect(entry).toMatchObject({ value: "strict", origin: "database" });
      },
      { timeout: 10_000, interval: 100 },
    );

    const egress = await runCli(["config", "set", "egress.allow", '["0.0.0.0/0"]'], { cwd: dir.path, env });
    expect(egress.code).toBe(3);
    expect(egress.stderr).toContain('Setting "egress.allow" is file-only');
    const wrong = await runCli(["config", "set", "mcp.maxSessions", "many"], { cwd: dir.path, env });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain('"mcp.maxSessions" (expected a positive integer up to 1000000)');
    const unknown = await runCli(["config", "get", "log.colour"], { cwd: dir.path, env });
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('unknown setting "log.colour"');
    const fileOnly = await runCli(["config", "get", "auth"], { cwd: dir.path, env });
    expect(fileOnly.code).toBe(4);
    expect(fileOnly.stderr).toContain('setting "auth" is file-only');

    const unset = await runCli(["config", "unset", "pinning.mode"], { cwd: dir.path, env });
    expect(unset.stdout).toContain('pinning.mode unset (was "strict")');
    const got = await runCli(["config", "get", "pinning.mode", "--json"], { cwd: dir.path, env });
    expect(JSON.parse(got.stdout)).toMatchObject({ value: "warn", origin: "default" });
  });

  it("reads the metrics history the gateway wrote, and refuses an open range or a bad step", async () => {
    await writePlugin("x");
    await writeJson(dir.path, "waygate.json", { plugins: ["./filed.mjs"] });
    const env = { WAYGATE_CONFIG: "waygate.json", WAYGATE_AUTH: "none" };
    gateway = await startGateway(dir.path, env);
    for (let i = 0; i < 3; i++) await execute(gateway.url, "filed__which");
    // Stopping writes the last roll-up window.
    expect(await gateway.stop()).toBe(0);
    gateway = undefined;
    const history = await runCli(
      [
        "metrics",
        "history",
        "--name",
        "waygate_calls_total",
        "--since",
        "1h",
        "--step",
        "1h",
        "--labels",
        "tool=which",
        "--json",
      ],
      { cwd: dir.path, env },
    );
    expect(history.code).toBe(0);
    const points = JSON.parse(history.stdout) as { value: number }[];
    expect(points.reduce((sum, p) => sum + p.value, 0)).toBe(3);
    const badStep = await runCli(
      ["metrics", "history", "--name", "waygate_calls_total", "--since", "1h", "--step", "often"],
      { cwd: dir.path, env },
    );
    expect(badStep.code).toBe(2);
    expect(badStep.stderr).toContain("Invalid step 'often'");
    const open = await runCli(["metrics", "history", "--name", "waygate_calls_total"], {
      cwd: dir.path,
      env,
    });
    expect(open.code).not.toBe(0);
    expect(open.stderr).toContain("--since");
  });
});
