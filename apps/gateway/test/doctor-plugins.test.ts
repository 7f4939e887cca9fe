import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startGateway, waitForOutput } from "./gateway-process.js";
import { tempDir, writeJson } from "./helpers.js";
import { BIN, cleanEnv, EVERYTHING, runCli } from "./run-cli.js";

const GREETER = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "greeter-plugin.mjs");

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await dir.cleanup();
});

interface Finding {
  check: string;
  status: string;
  detail: string;
  fix: string;
}

const doctor = async (env: Record<string, string>) => {
  const run = await runCli(["doctor", "--json", "--timeout", "20000"], { cwd: dir.path, env });
  return { ...run, report: JSON.parse(run.stdout) as { ok: boolean; findings: Finding[] } };
};

describe("waygate doctor", () => {
  it("answers with a timeout finding for an upstream that never answers, while the working one next to it passes", async () => {
    const mute = { command: process.execPath, args: ["-e", "process.stdin.resume()"] };
    await writeJson(dir.path, "waygate.json", { mcpServers: { everything: EVERYTHING, mute } });
    await runCli(["keys", "create", "--name", "admin"], { cwd: dir.path });
    const run = await runCli(["doctor", "--json", "--timeout", "10000"], {
      cwd: dir.path,
      env: { WAYGATE_CONFIG: "waygate.json" },
    });
    const report = JSON.parse(run.stdout) as { ok: boolean; findings: Finding[] };
    expect(run.code).not.toBe(0);
    expect(report.findings.find((finding) => finding.check === "upstream everything")).toMatchObject({
      status: "ok",
    });
    const muteFinding = report.findings.find((finding) => finding.check === "upstream mute");
    expect(muteFinding?.status).toBe("fail");
    expect(muteFinding?.detail).toMatch(/timed out|no answer within|Request timed out/i);
  });

  it("passes with a working upstream, reporting its tools, and exits 0", async () => {
    await writeJson(dir.path, "waygate.json", { mcpServers: { everything: EVERYTHING } });
    await runCli(["keys", "create", "--name", "admin"], { cwd: dir.path });
    const { code, report, stderr } = await doctor({ WAYGATE_CONFIG: "waygate.json" });
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(stderr).toContain("checking upstream everything (stdio)");
    const upstream = report.findings.find((finding) => finding.check === "upstream everything");
    expect(upstream).toMatchObject({ status: "ok", detail: expect.stringMatching(/stdio: \d+ tool\(s\)/) });
    expect(report.findings.find((finding) => finding.check === "database")?.status).toBe("ok");
  });

  it("exits 6 with a fix for each broken upstream while reporting the rest", async () => {
    await writeJson(dir.path, "waygate.json", {
      mcpServers: {
        missing: { command: "waygate-no-such-command-xyz" },
        refused: { url: "http://127.0.0.1:9/mcp" },
        // Loopback but outside the allowed network: the doctor obeys the egress policy and never connects.
        outside: { url: "http://127.0.0.2:8/mcp" },
      },
      egress: { allow: ["127.0.0.1/32"] },
    });
    const { code, report } = await doctor({ WAYGATE_CONFIG: "waygate.json" });
    expect(code).toBe(6);
    expect(report.ok).toBe(false);
    const missing = report.findings.find((finding) => finding.check === "upstream missing");
    expect(missing).toMatchObject({ status: "fail", fix: expect.stringContaining("PATH") });
    const refused = report.findings.find((finding) => finding.check === "upstream refused");
    expect(refused).toMatchObject({ status: "fail", fix: expect.stringContaining("reachable") });
    const outside = report.findings.find((finding) => finding.check === "upstream outside");
    expect(outside).toMatchObject({
      status: "fail",
      detail: expect.stringContaining("Refused to reach 127.0.0.2"),
      fix: expect.stringContaining("egress.allow"),
    });
    expect(report.findings.find((finding) => finding.check === "api keys")?.status).toBe("warn");
  });

  it("turns each configuration error into a failing row with its fix, as a table for people", async () => {
    const run = await runCli(["doctor"], { cwd: dir.path, env: { WAYGATE_PORT: "x", WAYGATE_ENV: "prod" } });
    expect(run.code).toBe(6);
    expect(run.stdout).toMatch(/CHECK\s+STATUS\s+DETAIL\s+FIX/);
    expect(run.stdout).toMatch(/config WAYGATE_PORT\s+fail/);
    expect(run.stdout).toMatch(/config WAYGATE_ENV\s+fail/);
    expect(run.stderr).toContain("check(s) failed");
  });

  it("ends at once on Ctrl-C while an upstream hangs", async () => {
    await writeJson(dir.path, "waygate.json", {
      mcpServers: { hangs: { command: process.execPath, args: ["-e", "setInterval(() => {}, 1000)"] } },
    });
    const child = spawn(process.execPath, [BIN, "doctor", "--timeout", "60000"], {
      cwd: dir.path,
      env: cleanEnv({ WAYGATE_CONFIG: "waygate.json" }),
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so that the signal reaches the upstream too, as Ctrl-C in a terminal does.
      detached: true,
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    while (!stderr.includes("checking upstream hangs"))
      await new Promise((resolve) => setTimeout(resolve, 50));
    process.kill(-(child.pid as number), "SIGINT");
    const [code, signal] = (await once(child, "exit")) as [number | null, string | null];
    // Killed by the signal itself, not a clean exit after the 60 s probe timeout.
    expect({ code, signal }).toEqual({ code: null, signal: "SIGINT" });
  });

  it("fails production without an active key", async () => {
    const { code, report } = await doctor({
      WAYGATE_ENV: "production",
      WAYGATE_SECRET_KEY: "0123456789abcdef0123456789abcdef",
    });
    expect(code).toBe(6);
    expect(report.findings.find((finding) => finding.check === "api keys")).toMatchObject({
      status: "fail",
      fix: expect.stringContaining("waygate keys create"),
    });
  });
});

describe("waygate plugins list", () => {
  it("says how to configure plugins when there are none", async () => {
    const run = await runCli(["plugins", "list"], { cwd: dir.path });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("no plugins configured");
  });

  it("shows installed plugins with their version and missing ones as not installed", async () => {
    const pkg = join(dir.path, "node_modules", "waygate-plugin-demo");
    await mkdir(pkg, { recursive: true });
    await writeFile(
      join(pkg, "package.json"),
      JSON.stringify({ name: "waygate-plugin-demo", version: "1.2.3", main: "index.js" }),
    );
    await writeFile(join(pkg, "index.js"), "module.exports = {};\n");
    await writeJson(dir.path, "waygate.json", {
      plugins: ["waygate-plugin-demo", { package: "waygate-plugin-absent", enabled: false }],
    });
    const run = await runCli(["plugins", "list", "--json"], {
      cwd: dir.path,
      env: { WAYGATE_CONFIG: "waygate.json" },
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([
      expect.objectContaining({
        package: "waygate-plugin-demo",
        enabled: true,
        version: "1.2.3",
        error: null,
      }),
      expect.objectContaining({ package: "waygate-plugin-absent", enabled: false, error: "not installed" }),
    ]);
  });

  it("refuses to start with a plugin that does not export a Waygate plugin, naming it", async () => {
    const pkg = join(dir.path, "node_modules", "not-a-plugin");
    await mkdir(pkg, { recursive: true });
    await writeFile(
      join(pkg, "package.json"),
      JSON.stringify({ name: "not-a-plugin", version: "0.1.0", main: "index.js" }),
    );
    await writeFile(join(pkg, "index.js"), "module.exports = { hello: 1 };\n");
    await writeJson(dir.path, "waygate.json", { plugins: ["not-a-plugin"] });
    const run = await runCli(["start"], { cwd: dir.path, env: { WAYGATE_CONFIG: "waygate.json" } });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("not-a-plugin does not export a Waygate plugin");
    expect(run.stderr).not.toContain("listening");
  });

  it("loads a plugin named in the config file, passes it its options, and serves its tools", async () => {
    await writeJson(dir.path, "waygate.json", {
      plugins: [{ package: GREETER, options: { greeting: "Ahoy" } }],
    });
    const gateway = await startGateway(dir.path, { WAYGATE_CONFIG: "waygate.json", WAYGATE_AUTH: "none" });
    const client = new Client({ name: "plugin-test", version: "1.0.0" });
    try {
      await waitForOutput(gateway, "upstreams started");
      await client.connect(new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp`)));
      const result = await client.callTool({ name: "greeter__greet", arguments: { name: "Ada" } });
      expect(result.content).toEqual([{ type: "text", text: "Ahoy, Ada!" }]);
    } finally {
      await client.close();
      expect(await gateway.stop()).toBe(0);
    }
  });
});
