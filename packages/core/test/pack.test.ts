import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { useTempDirs } from "./helpers.js";

const run = promisify(execFile);
const temp = useTempDirs();
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(import.meta.url);
const tsc = require.resolve("typescript/bin/tsc");
const typesNodeVersion = (
  JSON.parse(readFileSync(require.resolve("@types/node/package.json"), "utf8")) as { version: string }
).version;
const errorsDir = fileURLToPath(new URL("../../errors", import.meta.url));

/**
 * A consumer folder whose package.json takes @waygate/errors (core's one workspace dependency, not on npm before the
 * first release) from its own packed tarball, as `pnpm release:dry-run` does for every package.
 */
async function consumerApp(work: string, manifest: Record<string, unknown>): Promise<string> {
  await run("pnpm", ["pack", "--pack-destination", work], { cwd: errorsDir });
  const errorsTarball = readdirSync(work).find((name) => name.startsWith("waygate-errors-"));
  const app = join(work, "app");
  mkdirSync(app);
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({
      ...manifest,
      pnpm: { overrides: { "@waygate/errors": `file:${join(work, errorsTarball!)}` } },
    }),
  );
  return app;
}

const readmeSnippet = () =>
  /```ts\n([\s\S]*?)```/.exec(readFileSync(join(packageDir, "README.md"), "utf8"))?.[1] ?? "";

const scriptBody = (name: string) => `
  const db = await core.openDatabase({ url: "file:./data/${name}.db" });
  const repos = core.createRepositories(db, { secretKey: "consumer-secret-0123456789abcdef-0123" });
  const { key, plaintext } = await repos.apiKeys.create({ name: "packed", scopes: ["tools:call"] });
  const verified = await repos.apiKeys.verify(plaintext);
  if (!verified.ok || verified.key.id !== key.id) throw new Error("the new key did not verify");
  const audit = core.createAuditWriter(db);
  await audit.record({ requestId: "r1", keyId: key.id, server: "s", tool: "t", outcome: "ok", durationMs: 1 });
  await audit.close();
  const rows = await repos.commandHistory.query();
  const malformed = await repos.apiKeys.verify("nope");
  const again = await core.migrate(db);
  db.close();
  console.log(JSON.stringify({ again, rows: rows.items.length, malformed: malformed.reason }));
`;

describe("the packed tarball", () => {
  it("installs outside the workspace and migrates, creates and verifies a key from ESM, CJS and TypeScript", async () => {
    const work = temp.dir();
    await run("pnpm", ["pack", "--pack-destination", work], { cwd: packageDir });
    const tarball = readdirSync(work).find((name) => name.endsWith(".tgz"));
    expect(tarball).toMatch(/^waygate-core-.*\.tgz$/);

    const app = await consumerApp(work, { name: "consumer", private: true, version: "1.0.0" });
    // --prefer-offline reuses the local pnpm store; only missing packages come from the registry.
    await run("pnpm", ["add", join(work, tarball!), "--prefer-offline", "--ignore-workspace"], {
      cwd: app,
      timeout: 180_000,
    });

    writeFileSync(join(app, "esm.mjs"), `import * as core from "@waygate/core";\n${scriptBody("esm")}`);
    writeFileSync(
      join(app, "cjs.cjs"),
      `const core = require("@waygate/core");\n(async () => {${scriptBody("cjs")}})().catch((e) => { console.error(e); process.exitCode = 1; });`,
    );
    for (const script of ["esm.mjs", "cjs.cjs"]) {
      const { stdout, stderr } = await run(process.execPath, [script], { cwd: app });
      expect(stderr).toBe("");
      expect(JSON.parse(stdout)).toEqual({
        again: { applied: [], version: 11 },
        rows: 1,
        malformed: "malformed",
      });
    }

    writeFileSync(
      join(app, "typed.mts"),
      `import { openDatabase, createRepositories, type ApiKeyVerification } from "@waygate/core";
       const db = await openDatabase({ url: ":memory:" });
       const result: ApiKeyVerification = await createRepositories(db, { secretKey: "s".repeat(32) }).apiKeys.verify("x");
       const reason: "malformed" | "unknown" | "revoked" | "expired" | undefined = result.ok ? undefined : result.reason;
       export { reason };`,
    );
    await run(
      process.execPath,
      [
        tsc,
        "--noEmit",
        "--strict",
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        "--target",
        "es2022",
        "--skipLibCheck",
        "typed.mts",
      ],
      { cwd: app },
    );
  }, 240_000);

  it("README's embed snippet compiles under tsc --init defaults plus only what the README adds, and runs", async () => {
    const work = temp.dir();
    await run("pnpm", ["pack", "--pack-destination", work], { cwd: packageDir });
    const tarball = readdirSync(work).find((name) => name.endsWith(".tgz"));
    const app = await consumerApp(work, { name: "service", private: true, version: "1.0.0" });
    await run("pnpm", ["add", join(work, tarball!), "--prefer-offline", "--ignore-workspace"], {
      cwd: app,
      timeout: 180_000,
    });
    await run(
      "pnpm",
      ["add", "-D", `@types/node@${typesNodeVersion}`, "--prefer-offline", "--ignore-workspace"],
      {
        cwd: app,
        timeout: 180_000,
      },
    );
    await run(process.execPath, [tsc, "--init"], { cwd: app });
    writeFileSync(join(app, "embed.ts"), readmeSnippet());
    const compile = () => run(process.execPath, [tsc, "-p", "."], { cwd: app });

    // What the README says to add: "type": "module" and "types": ["node"].
    const manifest = JSON.parse(readFileSync(join(app, "package.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(app, "package.json"), JSON.stringify({ ...manifest, type: "module" }));
    const initConfig = readFileSync(join(app, "tsconfig.json"), "utf8");
    expect(initConfig).toContain('"types": []');
    expect(initConfig).toContain('"exactOptionalPropertyTypes": true');
    writeFileSync(join(app, "tsconfig.json"), initConfig.replace('"types": []', '"types": ["node"]'));
    await compile();

    const { stdout } = await run(process.execPath, ["embed.js"], {
      cwd: app,
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: "file:./data/embed.db",
        WAYGATE_SECRET_KEY: "s".repeat(32),
      },
    });
    expect(stdout).toMatch(/^shown once: wg_/);
  }, 240_000);

  it('README\'s embed snippet does not compile without the README\'s "types": ["node"] (it reads process.env)', async () => {
    const work = temp.dir();
    writeFileSync(
      join(work, "package.json"),
      JSON.stringify({ name: "bare", private: true, type: "module" }),
    );
    await run(process.execPath, [tsc, "--init"], { cwd: work });
    writeFileSync(join(work, "embed.ts"), readmeSnippet());
    const failure = await run(process.execPath, [tsc, "-p", ".", "--noEmit"], { cwd: work }).then(
      () => undefined,
      (error: { stdout: string }) => error.stdout,
    );
    expect(failure).toContain("error TS2591: Cannot find name 'process'");
  }, 60_000);
});
