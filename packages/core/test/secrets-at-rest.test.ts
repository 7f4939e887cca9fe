import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createDatabase,
  createRepositories,
  migrate,
  SecretUnreadableError,
  type WaygateDatabase,
} from "../src/index.js";
import { runMigrations } from "../src/migrate.js";
import { migrations } from "../src/migrations/index.js";
import { SECRET, useTempDirs } from "./helpers.js";

const temp = useTempDirs();
const OTHER_SECRET = "another-secret-key-0123456789abcdef-01234567";

const stdio = {
  name: "github",
  transport: "stdio" as const,
  command: "npx",
  args: ["server-github"],
  env: { GITHUB_TOKEN: "ghp_env_secret_1234", LOG_LEVEL: "debug" },
};
const http = {
  name: "remote",
  transport: "http" as const,
  url: "https://mcp.example.com/mcp",
  headers: { Authorization: "Bearer header-secret-5678" },
};

async function rawRows(db: WaygateDatabase) {
  const result = await db.client.execute(
    "SELECT name, env, headers, secrets_key_id FROM mcp_servers ORDER BY name",
  );
  return result.rows.map((row) => ({ ...row }));
}

async function unreadable(promise: Promise<unknown>): Promise<SecretUnreadableError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!SecretUnreadableError.isInstance(error))
    throw new Error(`expected SECRET_UNREADABLE, got ${String(error)}`);
  return error;
}

describe("upstream secrets at rest", () => {
  it("stores env and header values encrypted with a key id, and decrypts them only for get and listWithSecrets", async () => {
    const db = await temp.db();
    const { mcpServers } = createRepositories(db, { secretKey: SECRET });
    await mcpServers.create(stdio);
    await mcpServers.create(http);

    const raw = await rawRows(db);
    const stored = JSON.stringify(raw);
    for (const secret of ["ghp_env_secret_1234", "header-secret-5678", "debug"])
      expect(stored).not.toContain(secret);
    for (const row of raw) {
      expect(row.secrets_key_id).toMatch(/^[0-9a-f]{16}$/);
      const values = Object.values(JSON.parse(String(row.name === "github" ? row.env : row.headers)));
      for (const value of values) expect(value).toMatch(new RegExp(`^wgenc:v1:${row.secrets_key_id}:`));
    }
    // Names stay readable, so the redacted views need no key.
    expect(JSON.parse(String(raw[0]?.env))).toHaveProperty("GITHUB_TOKEN");

    expect((await mcpServers.get("github"))?.config).toMatchObject({ env: stdio.env });
    const all = await mcpServers.listWithSecrets();
    expect(all.find((s) => s.config.name === "remote")?.config).toMatchObject({ headers: http.headers });
    expect((await mcpServers.list()).find((s) => s.config.name === "remote")?.config).toMatchObject({
      headers: { Authorization: "[REDACTED]" },
    });
  });

  it("refuses to read secrets under a changed WAYGATE_SECRET_KEY with an error naming the fix, never garbage", async () => {
    const db = await temp.db();
    await createRepositories(db, { secretKey: SECRET }).mcpServers.create(stdio);
    const changed = createRepositories(db, { secretKey: OTHER_SECRET }).mcpServers;

    const error = await unreadable(changed.listWithSecrets());
    expect(error.code).toBe("SECRET_UNREADABLE");
    expect(error.message).toContain("mcp_servers.github.env.");
    expect(error.message).toContain(
      "the secret key changed. Set WAYGATE_SECRET_KEY back to the key that stored it",
    );
    expect(error.message).toContain("`waygate secrets rotate`");
    await unreadable(changed.get("github"));
    // The display view still works: it never decrypts.
    expect((await changed.list())[0]?.config).toMatchObject({ env: { GITHUB_TOKEN: "[REDACTED]" } });
  });

  it("refuses a sealed value that was edited or moved to another server (the location is authenticated)", async () => {
    const db = await temp.db();
    const { mcpServers } = createRepositories(db, { secretKey: SECRET });
    await mcpServers.create(stdio);
    await mcpServers.create({ ...stdio, name: "copy", env: { GITHUB_TOKEN: "other" } });
    // Move github's sealed token into the row of `copy`.
    await db.client.execute(
      "UPDATE mcp_servers SET env = (SELECT env FROM mcp_servers WHERE name = 'github') WHERE name = 'copy'",
    );
    const moved = await unreadable(mcpServers.get("copy"));
    expect(moved.message).toContain("does not decrypt");
    expect(moved.message).toContain("edited or damaged");
    expect((await mcpServers.get("github"))?.config).toMatchObject({ env: stdio.env });
  });

  it("encrypts rows written in clear before schema version 6 once a process with the key seals them", async () => {
    const db = temp.track(await createDatabase({ url: `file:${join(temp.dir(), "v4.db")}` }));
    await runMigrations(db, migrations.slice(0, 5));
    await db.client.execute({
      sql: `INSERT INTO mcp_servers (name, transport, command, args, env, headers, enabled, connect_timeout_ms,
        request_timeout_ms, status, created_at, updated_at) VALUES ('old', 'stdio', 'npx', '[]', ?, '{}', 1, 10000, 60000, 'unknown', 0, 0)`,
      args: [JSON.stringify({ TOKEN: "clear-token-42" })],
    });
    // 6 seals secrets; 7 (upstream eras), 8 (live registry), 9 (OAuth store), 10 (audit indexes) and 11 (upstream
    // user tokens) follow it.
    expect(await migrate(db)).toMatchObject({ applied: [6, 7, 8, 9, 10, 11] });
    const { mcpServers } = createRepositories(db, { secretKey: SECRET });
    // Readable in clear until sealed (no key id), so nothing breaks between the upgrade and the first start.
    expect((await mcpServers.get("old"))?.config).toMatchObject({ env: { TOKEN: "clear-token-42" } });

    expect(await mcpServers.sealStoredSecrets()).toBe(1);
    expect(JSON.stringify(await rawRows(db))).not.toContain("clear-token-42");
    expect((await mcpServers.get("old"))?.config).toMatchObject({ env: { TOKEN: "clear-token-42" } });
    expect(await mcpServers.sealStoredSecrets()).toBe(0);
  });

  it("rotates every stored secret to the new key with the previous key, after which the old key no longer reads", async () => {
    const db = await temp.db();
    await createRepositories(db, { secretKey: SECRET }).mcpServers.create(stdio);
    await createRepositories(db, { secretKey: SECRET }).mcpServers.create(http);
    const rotated = createRepositories(db, {
      secretKey: OTHER_SECRET,
      previousSecretKeys: [SECRET],
    }).mcpServers;
    expect(await rotated.rotateSecrets()).toEqual({ servers: 2, values: 3 });
    expect(await rotated.rotateSecrets()).toEqual({ servers: 0, values: 0 });

    const after = createRepositories(db, { secretKey: OTHER_SECRET }).mcpServers;
    expect((await after.get("github"))?.config).toMatchObject({ env: stdio.env });
    expect((await after.get("remote"))?.config).toMatchObject({ headers: http.headers });
    await unreadable(createRepositories(db, { secretKey: SECRET }).mcpServers.get("github"));
  });

  it("changes nothing when a rotation meets a value no known key opens", async () => {
    const db = await temp.db();
    await createRepositories(db, { secretKey: SECRET }).mcpServers.create(stdio);
    const before = await rawRows(db);
    const error = await unreadable(
      createRepositories(db, { secretKey: OTHER_SECRET }).mcpServers.rotateSecrets(),
    );
    expect(error.message).toContain("WAYGATE_PREVIOUS_SECRET_KEY");
    expect(await rawRows(db)).toEqual(before);
  });
});
