import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir, writeJson } from "./helpers.js";
import { runCli } from "./run-cli.js";

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await dir.cleanup();
});

const waygate = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: dir.path, env });
const listJson = async (env: Record<string, string> = {}) =>
  JSON.parse((await waygate(["servers", "list", "--json"], env)).stdout) as Record<string, unknown>[];

describe("waygate servers add/list/enable/disable/remove", () => {
  it("stores a stdio server and a remote server and lists them with secrets hidden", async () => {
    const stdio = await waygate([
      "servers",
      "add",
      "files",
      "-e",
      "TOKEN=abc",
      "--",
      "npx",
      "-y",
      "some-mcp",
      "--flag",
    ]);
    expect(stdio.code).toBe(0);
    expect(stdio.stdout).toContain("added server files (stdio)");
    const remote = await waygate([
      "servers",
      "add",
      "docs",
      "--url",
      "https://mcp.example.com/mcp",
      "-H",
      "Authorization=Bearer x",
    ]);
    expect(remote.code).toBe(0);

    const table = await waygate(["servers", "list"]);
    expect(table.stdout).toMatch(/files\s+stdio\s+npx -y some-mcp --flag\s+yes\s+database/);
    expect(table.stdout).toMatch(/docs\s+http\s+https:\/\/mcp\.example\.com\/mcp\s+yes\s+database/);
    const rows = await listJson();
    expect(rows).toContainEqual(expect.objectContaining({ name: "files", env: { TOKEN: "***" } }));
    expect(rows).toContainEqual(expect.objectContaining({ name: "docs", headers: { Authorization: "***" } }));
  });

  it("disables and re-enables a stored server", async () => {
    await waygate(["servers", "add", "files", "--", "npx", "some-mcp"]);
    expect((await waygate(["servers", "disable", "files"])).code).toBe(0);
    expect(await listJson()).toEqual([expect.objectContaining({ name: "files", enabled: false })]);
    expect((await waygate(["servers", "enable", "files"])).code).toBe(0);
    expect(await listJson()).toEqual([expect.objectContaining({ name: "files", enabled: true })]);
  });

  it("removes a stored server", async () => {
    await waygate(["servers", "add", "files", "--", "npx", "some-mcp"]);
    const run = await waygate(["servers", "remove", "files"]);
    expect(run.code).toBe(0);
    expect(await listJson()).toEqual([]);
  });

  it("exits 5 on a duplicate server name and keeps the first one", async () => {
    await waygate(["servers", "add", "files", "--", "first-command"]);
    const run = await waygate(["servers", "add", "files", "--", "second-command"]);
    expect(run.code).toBe(5);
    expect(run.stderr).toContain('a server named "files" is already stored');
    expect(await listJson()).toEqual([expect.objectContaining({ command: "first-command" })]);
  });

  it("exits 5 when the name is already declared in the config file", async () => {
    await writeJson(dir.path, "waygate.json", { mcpServers: { files: { command: "x" } } });
    const run = await waygate(["servers", "add", "files", "--", "y"], { WAYGATE_CONFIG: "waygate.json" });
    expect(run.code).toBe(5);
    expect(run.stderr).toContain("already declared in the config file");
  });

  it("exits 2 when given neither a command nor a URL", async () => {
    const run = await waygate(["servers", "add", "files"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("give either a command after `--`");
  });

  it("exits 2 for a server name that cannot prefix tool names", async () => {
    const run = await waygate(["servers", "add", "my__files", "--", "x"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('invalid server name "my__files"');
    expect(run.stderr).toContain("must not contain '__'");
  });

  it("accepts a server name with a single '_', as createGateway does", async () => {
    const run = await waygate(["servers", "add", "my_files", "--", "x"]);
    expect(run.code).toBe(0);
    expect(await listJson()).toEqual([expect.objectContaining({ name: "my_files" })]);
  });

  it("exits 2 for a URL that is not http(s) and for an unknown transport", async () => {
    const badUrl = await waygate(["servers", "add", "docs", "--url", "ftp://example.com"]);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain("http:// or https://");
    const badTransport = await waygate([
      "servers",
      "add",
      "docs",
      "--url",
      "https://e.com",
      "--transport",
      "ws",
    ]);
    expect(badTransport.code).toBe(2);
    expect(badTransport.stderr).toContain("--transport must be http or sse");
  });

  it("exits 4 when enabling, disabling or removing a server that is not stored", async () => {
    for (const verb of ["enable", "disable", "remove"]) {
      const run = await waygate(["servers", verb, "ghost"]);
      expect(run.code).toBe(4);
      expect(run.stderr).toContain('no stored server named "ghost"');
    }
  });

  it("stores a server's own connect and request timeouts from flags, and refuses bad ones naming the flag", async () => {
    const add = await waygate([
      "servers",
      "add",
      "timed",
      "--connect-timeout-ms",
      "2500",
      "--request-timeout-ms",
      "900",
      "--url",
      "https://mcp.example.com/mcp",
    ]);
    expect(add.code).toBe(0);
    expect(await listJson()).toEqual([
      expect.objectContaining({ name: "timed", connectTimeoutMs: 2500, requestTimeoutMs: 900 }),
    ]);
    const tooShort = await waygate(["servers", "add", "a", "--connect-timeout-ms", "5", "--", "x"]);
    expect(tooShort.code).toBe(2);
    expect(tooShort.stderr).toContain('invalid server "a": connectTimeoutMs must be at least 100 (ms)');
    const tooLong = await waygate(["servers", "add", "b", "--request-timeout-ms", "3600001", "--", "x"]);
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toContain("requestTimeoutMs must be at most 3600000 (1 hour)");
    const notANumber = await waygate(["servers", "add", "c", "--request-timeout-ms", "1.5s", "--", "x"]);
    expect(notANumber.code).toBe(2);
    expect(notANumber.stderr).toContain(
      '--request-timeout-ms takes a whole number of milliseconds, not "1.5s"',
    );
    expect((await listJson()).map((row) => row.name)).toEqual(["timed"]);
  });

  it("reads a config-file server's timeouts, and refuses a bad one with its path", async () => {
    await writeJson(dir.path, "waygate.json", {
      mcpServers: {
        fromfile: { url: "http://127.0.0.1:9/mcp", connectTimeoutMs: 3000, requestTimeoutMs: 700 },
      },
    });
    expect(await listJson({ WAYGATE_CONFIG: "waygate.json" })).toEqual([
      expect.objectContaining({ name: "fromfile", connectTimeoutMs: 3000, requestTimeoutMs: 700 }),
    ]);
    await writeJson(dir.path, "bad.json", { mcpServers: { slow: { command: "x", requestTimeoutMs: 0 } } });
    const run = await waygate(["servers", "list"], { WAYGATE_CONFIG: "bad.json" });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      "mcpServers.slow.requestTimeoutMs: requestTimeoutMs must be at least 100 (ms)",
    );
  });

  it("lists config-file servers beside stored ones, marked by source", async () => {
    await writeJson(dir.path, "waygate.json", {
      mcpServers: { fromfile: { url: "http://127.0.0.1:9/mcp" } },
    });
    await waygate(["servers", "add", "fromdb", "--", "x"]);
    const rows = await listJson({ WAYGATE_CONFIG: "waygate.json" });
    expect(rows.map((row) => [row.name, row.source])).toEqual([
      ["fromfile", "config"],
      ["fromdb", "database"],
    ]);
  });
});

describe("waygate servers import", () => {
  const claude = {
    mcpServers: {
      everything: { command: "npx", args: ["-y", "@modelcontextprotocol/server-everything"] },
      github: { command: "gh-mcp", env: { GITHUB_TOKEN: "${env:GITHUB_TOKEN}" } },
      remote: { url: "https://mcp.example.com/sse", type: "sse" },
    },
  };

  it("imports a Claude Desktop file with stdio and sse servers", async () => {
    await writeJson(dir.path, "claude_desktop_config.json", claude);
    const run = await waygate(["servers", "import", "claude_desktop_config.json"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("imported 3 server(s): everything, github, remote");
    const rows = await listJson();
    expect(rows.map((row) => [row.name, row.transport])).toEqual([
      ["everything", "stdio"],
      ["github", "stdio"],
      ["remote", "sse"],
    ]);
  });

  it("imports a Cline file, printing a warning that names each key it ignores", async () => {
    await writeJson(dir.path, "cline_mcp_settings.json", {
      mcpServers: { slow: { command: "npx", args: ["-y", "slow-server"], timeout: 120, disabled: false } },
    });
    const run = await waygate(["servers", "import", "cline_mcp_settings.json"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("imported 1 server(s): slow");
    expect(run.stderr).toContain(
      "warning: cline_mcp_settings.json: mcpServers.slow.timeout is a per-server timeout",
    );
  });

  it("imports a VS Code mcp.json that uses `servers`", async () => {
    await writeJson(dir.path, "mcp.json", {
      servers: { docs: { type: "http", url: "https://mcp.example.com/mcp" } },
      inputs: [],
    });
    const run = await waygate(["servers", "import", "mcp.json", "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([expect.objectContaining({ name: "docs", transport: "http" })]);
  });

  it("exits 5 and imports nothing when a name is already stored", async () => {
    await waygate(["servers", "add", "github", "--", "existing"]);
    await writeJson(dir.path, "claude.json", claude);
    const run = await waygate(["servers", "import", "claude.json"]);
    expect(run.code).toBe(5);
    expect(run.stderr).toContain("already stored: github");
    expect(run.stderr).toContain("Nothing was imported");
    expect((await listJson()).map((row) => row.name)).toEqual(["github"]);
  });

  it("replaces stored servers of the same name with --replace", async () => {
    await waygate(["servers", "add", "github", "--", "existing"]);
    await writeJson(dir.path, "claude.json", claude);
    const run = await waygate(["servers", "import", "claude.json", "--replace"]);
    expect(run.code).toBe(0);
    expect(await listJson()).toContainEqual(expect.objectContaining({ name: "github", command: "gh-mcp" }));
  });

  it("writes nothing when one entry fails the schema, and the error names that entry (also with --replace)", async () => {
    await writeJson(dir.path, "claude.json", {
      mcpServers: {
        ...claude.mcpServers,
        // An env name the gateway cannot pass to a process: refused while reading the file (one schema for the
        // config file, import, `servers add` and the admin API), before anything is written.
        zbroken: { command: "x", env: { "not-a-name": "1" } },
      },
    });
    const refused = async (args: string[]) => {
      const run = await waygate(["servers", "import", "claude.json", ...args]);
      expect(run.code, args.join(" ")).toBe(3);
      expect(run.stderr).toContain(
        "mcpServers.zbroken.env.not-a-name: must be a valid environment variable name",
      );
    };
    await refused([]);
    expect(await listJson()).toEqual([]);
    await waygate(["servers", "add", "github", "--", "existing"]);
    const before = await listJson();
    await refused(["--replace"]);
    // Not one row written or rewritten: the stored server keeps its config and its update time.
    expect(await listJson()).toEqual(before);
  });

  it("exits 3 for invalid JSON, naming the line", async () => {
    await writeJson(dir.path, "broken.json", '{\n  "mcpServers": {\n    "a": { "command": "x" }\n  \n');
    const run = await waygate(["servers", "import", "broken.json"]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/not valid JSON/);
  });

  it("exits 3 for a missing file", async () => {
    const run = await waygate(["servers", "import", "nowhere.json"]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("does not exist");
  });

  it("exits 3 listing every invalid entry with its path", async () => {
    await writeJson(dir.path, "bad.json", {
      mcpServers: { "bad name": { command: "x" }, nothing: {}, ftp: { url: "ftp://x" } },
    });
    const run = await waygate(["servers", "import", "bad.json"]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("mcpServers.bad name");
    expect(run.stderr).toContain("mcpServers.nothing");
    expect(run.stderr).toContain("mcpServers.ftp.url");
    expect(await listJson()).toEqual([]);
  });

  it("exits 3 for a file with neither mcpServers nor servers", async () => {
    await writeJson(dir.path, "other.json", { theme: "dark" });
    const run = await waygate(["servers", "import", "other.json"]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("neither an `mcpServers` nor a `servers` object");
  });
});
