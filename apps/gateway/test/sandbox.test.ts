/**
 * The container's promises, proved without a Docker engine (none runs here): the same `pnpm deploy` output
 * the image copies is started as UID 1000 in a read-only root filesystem where only /data and /tmp are
 * writable (bubblewrap), as PID 1 of its own PID namespace, with the image's environment.
 */
import { execFile } from "node:child_process";
import { existsSync, lstatSync, readlinkSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createRepositories, openDatabase } from "@waygate/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DockerStage, REPO_ROOT, readDockerfile, stageEnv } from "./dockerfile.js";
import { type GatewayProcess, spawnListening, waitForOutput } from "./gateway-process.js";
import { tempDir } from "./helpers.js";
import { EVERYTHING } from "./run-cli.js";

const run = promisify(execFile);
const SECRET = "sandbox-secret-0123456789abcdef0123456789abcdef";

let dir: { path: string; cleanup: () => Promise<void> };
let runtime: DockerStage;
let deployCommand: string;

beforeAll(async () => {
  dir = await tempDir("waygate-sandbox-");
  const dockerfile = await readDockerfile();
  const deploy = dockerfile.stages.find((stage) => stage.name === "deploy");
  const line = deploy?.instructions.find((instruction) => /pnpm .*deploy/.test(instruction.args))?.args ?? "";
  deployCommand = /(pnpm .*deploy.*?)\s+(\/\S+)$/.exec(line)?.[1] ?? "";
  runtime = dockerfile.stages.find((stage) => stage.name === "runtime") as DockerStage;
  // The exact command of the image's deploy stage, writing where the runtime stage copies from.
  const [pnpm = "pnpm", ...args] = deployCommand.split(/\s+/);
  await run(pnpm, [...args, join(dir.path, "app")], { cwd: REPO_ROOT, timeout: 300_000, env: process.env });
}, 320_000);

afterAll(async () => {
  await dir?.cleanup();
});

/** bubblewrap arguments for the image's filesystem: read-only root, writable /data and /tmp only. */
function sandboxArgs(data: string, configFile: string, env: Record<string, string>): string[] {
  const system = ["/bin", "/lib", "/lib64", "/sbin"].flatMap((path) => {
    if (!existsSync(path)) return [];
    return lstatSync(path).isSymbolicLink()
      ? ["--symlink", readlinkSync(path), path]
      : ["--ro-bind", path, path];
  });
  return [
    // /tmp first: the repository (bound below) may itself live under /tmp, as in a CI checkout.
    "--tmpfs",
    "/tmp",
    "--ro-bind",
    "/usr",
    "/usr",
    ...system,
    "--ro-bind",
    "/etc",
    "/etc",
    "--ro-bind",
    join(dir.path, "app"),
    "/app",
    // Read-only, for the real server-everything upstream the test configures.
    "--ro-bind",
    REPO_ROOT,
    REPO_ROOT,
    "--ro-bind",
    configFile,
    "/config/waygate.json",
    "--bind",
    data,
    "/data",
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--unshare-user",
    "--uid",
    "1000",
    "--gid",
    "1000",
    "--unshare-pid",
    "--as-pid-1",
    "--die-with-parent",
    "--remount-ro",
    "/",
    "--chdir",
    "/app",
    "--clearenv",
    ...Object.entries(env).flatMap(([name, value]) => ["--setenv", name, value]),
  ];
}

/** The image's ENTRYPOINT without tini (bubblewrap makes node PID 1 itself). */
function entrypoint(): string[] {
  const raw = runtime.instructions.find((instruction) => instruction.keyword === "ENTRYPOINT")?.args ?? "[]";
  const command = JSON.parse(raw) as string[];
  return command.slice(command.indexOf("--") + 1).map((part) => (part === "node" ? process.execPath : part));
}

describe("the container image", () => {
  it("declares Node 24 slim, UID 1000, /data, a /health check, tini and production-only dependencies", async () => {
    const dockerfile = await readDockerfile();
    expect(runtime.from).toBe("node:24-slim");
    const keywords = (keyword: string) =>
      runtime.instructions.filter((instruction) => instruction.keyword === keyword).map((i) => i.args);
    expect(keywords("USER")).toEqual(["1000:1000"]);
    expect(keywords("VOLUME").join()).toContain("/data");
    expect(keywords("HEALTHCHECK").join()).toContain("/health");
    expect(keywords("ENTRYPOINT").join()).toContain("/usr/bin/tini");
    expect(keywords("COPY").join()).toContain("--from=deploy");
    expect(deployCommand).toContain("--prod");
    expect(dockerfile.stages.map((stage) => stage.name)).toEqual(["build", "deploy", "runtime"]);
  });

  it("the deploy output holds the gateway and its production dependencies, not dev tools", async () => {
    const app = join(dir.path, "app");
    expect(existsSync(join(app, "dist", "bin.js"))).toBe(true);
    expect(existsSync(join(app, "node_modules", "@waygate", "server", "dist", "index.js"))).toBe(true);
    for (const devTool of ["vitest", "tsup", "typescript", "@biomejs"]) {
      expect(existsSync(join(app, "node_modules", devTool)), devTool).toBe(false);
    }
  });

  it("runs as UID 1000 in a read-only root: starts, answers /health, writes /data, exits 0 on SIGTERM with the audit flushed", async () => {
    const data = join(dir.path, "data");
    await mkdir(data, { recursive: true });
    const configFile = join(dir.path, "waygate.json");
    await writeFile(configFile, JSON.stringify({ mcpServers: { everything: EVERYTHING } }));
    const env: Record<string, string> = {
      PATH: "/usr/local/bin:/usr/bin:/bin",
      ...stageEnv(runtime),
      WAYGATE_PORT: "0",
      WAYGATE_SECRET_KEY: SECRET,
      WAYGATE_CONFIG: "/config/waygate.json",
      WAYGATE_ALLOWED_HOSTS: "localhost",
    };
    expect(env.WAYGATE_ENV).toBe("production");
    expect(env.DATABASE_URL).toBe("file:/data/waygate.db");

    // What quickstart.sh does before the first production start: create the admin key.
    const created = await run(
      "bwrap",
      [
        ...sandboxArgs(data, configFile, env),
        ...entrypoint(),
        "keys",
        "create",
        "--name",
        "admin",
        "--scopes",
        "admin",
        "--json",
      ],
      { timeout: 60_000 },
    );
    const { key } = JSON.parse(created.stdout) as { key: string };

    // Writing anywhere but /data and /tmp fails inside the sandbox.
    const probe = await run(
      "bwrap",
      [
        ...sandboxArgs(data, configFile, env),
        process.execPath,
        "-e",
        `const fs=require("fs");const r={uid:process.getuid(),pid:process.pid};
         for (const p of ["/app/x","/x","/etc/x","/data/x","/tmp/x"]) { try { fs.writeFileSync(p,"1"); r[p]="ok" } catch (e) { r[p]=e.code } }
         console.log(JSON.stringify(r))`,
      ],
      { timeout: 60_000 },
    );
    expect(JSON.parse(probe.stdout)).toEqual({
      uid: 1000,
      pid: 1,
      "/app/x": "EROFS",
      "/x": "EROFS",
      "/etc/x": "EROFS",
      "/data/x": "ok",
      "/tmp/x": "ok",
    });

    let gateway: GatewayProcess | undefined;
    try {
      gateway = await spawnListening(
        "bwrap",
        [...sandboxArgs(data, configFile, env), ...entrypoint(), "start"],
        {
          cwd: dir.path,
          env: {},
        },
      );
      const port = new URL(gateway.url).port;
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/health`)).status).toBe(200);
      await waitForOutput(gateway, "upstreams started");

      const client = new Client({ name: "sandbox-test", version: "1.0.0" });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${key}` } },
        }),
      );
      const result = await client.callTool({ name: "everything__echo", arguments: { message: "sandboxed" } });
      expect(JSON.stringify(result.content)).toContain("sandboxed");
      await client.close();

      // The runtime sends SIGTERM to PID 1 of the container: here, the node process bubblewrap started.
      const children = await readFile(
        `/proc/${gateway.child.pid}/task/${gateway.child.pid}/children`,
        "utf8",
      );
      const pid1 = Number(children.trim().split(/\s+/)[0]);
      expect(pid1).toBeGreaterThan(0);
      process.kill(pid1, "SIGTERM");
      expect(await gateway.stop("SIGCONT")).toBe(0);
      expect(gateway.stderr()).toContain("stopped");
    } finally {
      await gateway?.stop("SIGKILL");
    }

    expect(existsSync(join(data, "waygate.db"))).toBe(true);
    const db = await openDatabase({ url: `file:${join(data, "waygate.db")}` });
    try {
      const repos = createRepositories(db, { secretKey: SECRET });
      const calls = (await repos.commandHistory.query({})).items.filter((item) =>
        item.tool?.endsWith("echo"),
      );
      expect(calls).toEqual([expect.objectContaining({ outcome: "ok" })]);
      expect((await repos.systemEvents.list({ type: "gateway.stopped" })).items).toHaveLength(1);
    } finally {
      db.close();
    }
  });
});
