import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "./helpers.js";
import { runCli } from "./run-cli.js";

let dir: { path: string; cleanup: () => Promise<void> };
let other: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
  other = await tempDir();
});
afterEach(async () => {
  await dir.cleanup();
  await other.cleanup();
});

const waygate = (args: string[], cwd = dir.path) => runCli(args, { cwd });

async function storeThree(): Promise<void> {
  // Added out of name order, with plaintext secrets, a kept reference, a header and a disabled server.
  const runs = [
    await waygate([
      "servers",
      "add",
      "zeta",
      "-e",
      "ZED=plain-zed-value",
      "-e",
      "API_KEY=sk-live-123456",
      "--",
      "node",
      "z.js",
    ]),
    await waygate([
      "servers",
      "add",
      "docs",
      "--url",
      "https://mcp.example.com/mcp",
      "-H",
      "Authorization=Bearer hunter2-token",
    ]),
    await waygate([
      "servers",
      "add",
      "alpha",
      "--disabled",
      "-e",
      "TOKEN=${env:GH_TOKEN}",
      "--",
      "npx",
      "-y",
      "alpha-mcp",
    ]),
  ];
  expect(runs.map((run) => run.code)).toEqual([0, 0, 0]);
}

describe("waygate config export", () => {
  it("prints the stored servers as a config file in a stable order, secrets as ${env:…} references", async () => {
    await storeThree();
    const run = await waygate(["config", "export"]);
    expect(run.code).toBe(0);
    for (const secret of ["plain-zed-value", "sk-live-123456", "hunter2-token"])
      expect(run.stdout).not.toContain(secret);
    const file = JSON.parse(run.stdout) as { mcpServers: Record<string, Record<string, unknown>> };
    expect(Object.keys(file.mcpServers)).toEqual(["alpha", "docs", "zeta"]);
    expect(file.mcpServers.alpha).toEqual({
      command: "npx",
      args: ["-y", "alpha-mcp"],
      env: { TOKEN: "${env:GH_TOKEN}" },
      disabled: true,
    });
    expect(file.mcpServers.docs).toEqual({
      type: "http",
      url: "https://mcp.example.com/mcp",
      headers: { Authorization: "${env:DOCS_AUTHORIZATION}" },
    });
    expect(file.mcpServers.zeta).toEqual({
      command: "node",
      args: ["z.js"],
      env: { API_KEY: "${env:ZETA_API_KEY}", ZED: "${env:ZETA_ZED}" },
    });
    expect(run.stderr).toContain("ZETA_API_KEY  (zeta env.API_KEY)");
    expect(run.stderr).toContain("DOCS_AUTHORIZATION  (docs headers.Authorization)");
    expect(run.stderr).not.toContain("GH_TOKEN");
    // Diffable: the same database exports the same bytes.
    expect((await waygate(["config", "export"])).stdout).toBe(run.stdout);
  });

  it("writes --output, which imports into another database and exports the same file again", async () => {
    await storeThree();
    expect((await waygate(["config", "export", "--output", "servers.json"])).code).toBe(0);
    const written = await readFile(join(dir.path, "servers.json"), "utf8");
    expect((await waygate(["servers", "import", join(dir.path, "servers.json")], other.path)).code).toBe(0);
    expect((await waygate(["config", "export"], other.path)).stdout).toBe(written);
  });

  it("refuses to overwrite an existing --output without --force (exit 5), and overwrites with it", async () => {
    await storeThree();
    expect((await waygate(["config", "export", "-o", "servers.json"])).code).toBe(0);
    const again = await waygate(["config", "export", "-o", "servers.json"]);
    expect(again.code).toBe(5);
    expect(again.stderr).toContain("exists: pick another --output, or add --force to overwrite it");
    expect((await waygate(["config", "export", "-o", "servers.json", "--force"])).code).toBe(0);
  });

  it("prints an empty mcpServers object when nothing is stored", async () => {
    const run = await waygate(["config", "export"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ mcpServers: {} });
  });
});
