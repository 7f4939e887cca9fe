import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "./helpers.js";
import { runCli } from "./run-cli.js";

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await dir.cleanup();
});

const KEY_A = "first-secret-key-0123456789abcdef-0123456789";
const KEY_B = "second-secret-key-0123456789abcdef-012345678";
const ENV_TOKEN = "env-token-7f3a9c1e5b";
const HEADER_TOKEN = "header-token-2d8e6b4f0a";

const waygate = (args: string[], env: Record<string, string>) => runCli(args, { cwd: dir.path, env });

/** The database file and its WAL, as bytes in one string. */
async function databaseBytes(): Promise<string> {
  const data = join(dir.path, "data");
  const files = (await readdir(data)).filter((file) => file.startsWith("waygate.db"));
  const parts = await Promise.all(files.map((file) => readFile(join(data, file))));
  return Buffer.concat(parts).toString("latin1");
}

/** Servers with a secret env value and a secret header; the remote one is on loopback, which egress refuses, so nothing is ever contacted. */
async function addServers(key: string): Promise<void> {
  const env = { WAYGATE_SECRET_KEY: key };
  expect(
    (await waygate(["servers", "add", "files", "-e", `TOKEN=${ENV_TOKEN}`, "--", "npx", "some-mcp"], env))
      .code,
  ).toBe(0);
  const remote = [
    "servers",
    "add",
    "docs",
    "--url",
    "http://127.0.0.1:9/mcp",
    "-H",
    `Authorization=Bearer ${HEADER_TOKEN}`,
  ];
  expect((await waygate(remote, env)).code).toBe(0);
}

describe("upstream secrets in the database", () => {
  it("stores env and header values encrypted: neither token is in the database file or its WAL", async () => {
    await addServers(KEY_A);
    const bytes = await databaseBytes();
    // Positive control: the rows are in these files (server names and header names are stored in clear).
    expect(bytes).toContain("127.0.0.1:9/mcp");
    expect(bytes).toContain("Authorization");
    expect(bytes).not.toContain(ENV_TOKEN);
    expect(bytes).not.toContain(HEADER_TOKEN);
  });

  it("refuses to start with a changed WAYGATE_SECRET_KEY, exiting 3 with the fix, instead of using garbage", async () => {
    await addServers(KEY_A);
    const run = await waygate(["start"], { WAYGATE_SECRET_KEY: KEY_B, MCP_SERVERS_ENABLED: "docs" });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      "the secret key changed. Set WAYGATE_SECRET_KEY back to the key that stored it",
    );
    expect(run.stderr).toContain("waygate secrets rotate");
    expect(run.stderr).not.toContain(HEADER_TOKEN);
  });

  it("`waygate secrets rotate` re-encrypts every stored secret under the new key with WAYGATE_PREVIOUS_SECRET_KEY", async () => {
    await addServers(KEY_A);
    const rotated = await waygate(["secrets", "rotate", "--json"], {
      WAYGATE_SECRET_KEY: KEY_B,
      WAYGATE_PREVIOUS_SECRET_KEY: KEY_A,
    });
    expect(rotated.code).toBe(0);
    expect(JSON.parse(rotated.stdout)).toEqual({ servers: 2, values: 2 });

    const again = await waygate(["secrets", "rotate"], { WAYGATE_SECRET_KEY: KEY_B });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("already encrypted under the current key");
    // The old key no longer opens them.
    const old = await waygate(["secrets", "rotate"], { WAYGATE_SECRET_KEY: KEY_A });
    expect(old.code).toBe(3);
    expect((await databaseBytes()).includes(HEADER_TOKEN)).toBe(false);
  });

  it("`waygate secrets rotate` without the previous key exits 3 naming WAYGATE_PREVIOUS_SECRET_KEY and changes nothing", async () => {
    await addServers(KEY_A);
    const run = await waygate(["secrets", "rotate"], { WAYGATE_SECRET_KEY: KEY_B });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("WAYGATE_PREVIOUS_SECRET_KEY");
    const stillA = await waygate(["secrets", "rotate"], { WAYGATE_SECRET_KEY: KEY_A });
    expect(stillA.stdout).toContain("already encrypted under the current key");
  });

  it("refuses a WAYGATE_PREVIOUS_SECRET_KEY shorter than 32 characters with the variable's fix", async () => {
    const run = await waygate(["secrets", "rotate"], {
      WAYGATE_SECRET_KEY: KEY_B,
      WAYGATE_PREVIOUS_SECRET_KEY: "short",
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("WAYGATE_PREVIOUS_SECRET_KEY");
    expect(run.stderr).toContain("at least 32 characters");
  });
});
