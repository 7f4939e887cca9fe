import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { useTempDirs } from "./helpers.js";

const run = promisify(execFile);
const temp = useTempDirs();
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

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

    const app = join(work, "app");
    mkdirSync(app);
    writeFileSync(
      join(app, "package.json"),
      JSON.stringify({ name: "consumer", private: true, version: "1.0.0" }),
    );
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
        again: { applied: [], version: 7 },
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
});
