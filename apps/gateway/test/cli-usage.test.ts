import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir, writeJson } from "./helpers.js";
import { runCli } from "./run-cli.js";

let dir: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(async () => {
  await dir.cleanup();
});

describe("waygate usage errors", () => {
  it("prints help and exits 0", async () => {
    const run = await runCli(["--help"], { cwd: dir.path });
    expect(run.code).toBe(0);
    for (const command of ["start", "stdio", "migrate", "keys", "servers", "plugins", "doctor"]) {
      expect(run.stdout).toContain(command);
    }
  });

  it("prints help and exits 2 when given no command", async () => {
    const run = await runCli([], { cwd: dir.path });
    expect(run.code).toBe(2);
    expect(run.stdout + run.stderr).toContain("Usage: waygate [options] [command]");
  });

  it("prints the version and exits 0", async () => {
    const run = await runCli(["--version"], { cwd: dir.path });
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("rejects an unknown command with exit 2 and a hint", async () => {
    const run = await runCli(["strat"], { cwd: dir.path });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown command 'strat'");
    expect(run.stderr).toContain("Did you mean start?");
  });

  it("rejects an unknown flag with exit 2 and names the command's help", async () => {
    const run = await runCli(["keys", "list", "--bogus"], { cwd: dir.path });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown option '--bogus'");
    expect(run.stderr).toContain("waygate keys list --help");
  });

  it("rejects a flag value that is not a number with exit 2", async () => {
    const run = await runCli(["keys", "create", "--name", "x", "--rate-limit", "lots"], { cwd: dir.path });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("expected a whole number above 0");
  });

  it("rejects a missing required option with exit 2", async () => {
    const run = await runCli(["keys", "create"], { cwd: dir.path });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("required option '-n, --name <name>' not specified");
  });

  it("treats a group command without a subcommand as a usage error", async () => {
    const run = await runCli(["servers"], { cwd: dir.path });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Usage: waygate servers");
  });

  it("exits 3 for a missing config file, naming the option and the path", async () => {
    const run = await runCli(["--config", "missing.json", "keys", "list"], { cwd: dir.path });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("--config");
    expect(run.stderr).toMatch(/missing\.json does not exist/);
  });

  it("exits 3 for a config file that is not JSON, with the line and column", async () => {
    await writeJson(dir.path, "bad.json", '{ "mcpServers": { "a": { "command": "x" }, } }');
    const run = await runCli(["servers", "list"], { cwd: dir.path, env: { WAYGATE_CONFIG: "bad.json" } });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("WAYGATE_CONFIG");
    expect(run.stderr).toMatch(/not valid JSON at line 1, column \d+/);
  });

  it("exits 3 listing every bad environment variable with a fix, before touching the database", async () => {
    const run = await runCli(["keys", "list"], {
      cwd: dir.path,
      env: { WAYGATE_PORT: "http", LOG_LEVEL: "loud", DATABASE_URL: "file:./never/created.db" },
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("WAYGATE_PORT: expected a port number");
    expect(run.stderr).toContain("LOG_LEVEL");
    expect(run.stderr).toContain("fix: set WAYGATE_PORT to a whole number");
    const { existsSync } = await import("node:fs");
    expect(existsSync(`${dir.path}/never`)).toBe(false);
  });
});
