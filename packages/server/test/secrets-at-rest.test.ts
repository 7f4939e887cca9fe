import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { post, startGateway, type TestGateway } from "./helpers.js";

const started: TestGateway[] = [];
afterEach(async () => {
  for (const t of started.splice(0)) await t.close();
});

async function rawServers(t: TestGateway) {
  const result = await t.db.client.execute("SELECT name, env, headers, secrets_key_id FROM mcp_servers");
  return result.rows.map((row) => ({ ...row }));
}

describe("upstream secrets added through the admin API", () => {
  it("stores header values encrypted with the key id, and serves them decrypted to the bridge's config", async () => {
    const t = await startGateway({ egress: { allow: ["127.0.0.1/32"] } });
    started.push(t);
    const admin = { authorization: `Bearer ${await t.key(["admin"])}` };
    const body = {
      name: "vault",
      url: "http://127.0.0.1:9/mcp",
      headers: { "X-Vault-Token": "vault-token-0f1e2d3c" },
      enabled: false,
    };
    expect((await post(`${t.url}/admin/servers`, body, admin)).status).toBe(201);
    const [row] = await rawServers(t);
    expect(JSON.stringify(row)).not.toContain("vault-token-0f1e2d3c");
    expect(JSON.parse(String(row?.headers))["X-Vault-Token"]).toMatch(/^wgenc:v1:/);
    expect((await t.repos.mcpServers.get("vault"))?.config).toMatchObject({
      headers: { "X-Vault-Token": "vault-token-0f1e2d3c" },
    });
  });

  it("encrypts a row stored in clear by an earlier version when the gateway opens the database", async () => {
    const first = await startGateway();
    await first.gateway.close();
    // A row as version 4 wrote it: values in clear, no key id.
    await first.db.client.execute({
      sql: `INSERT INTO mcp_servers (name, transport, command, args, env, headers, enabled, connect_timeout_ms,
        request_timeout_ms, status, created_at, updated_at) VALUES ('old', 'stdio', 'true', '[]', ?, '{}', 0, 10000, 60000, 'disabled', 0, 0)`,
      args: [JSON.stringify({ TOKEN: "clear-token-9a8b7c" })],
    });
    expect(JSON.stringify(await rawServers(first))).toContain("clear-token-9a8b7c");
    const { createGateway, createLogger } = await import("../src/index.js");
    const again = await createGateway({
      database: first.db,
      secretKey: (await import("./helpers.js")).SECRET_KEY,
      env: "test",
      logger: createLogger({ silent: true }),
      collectDefaultMetrics: false,
    });
    try {
      const rows = await rawServers(first);
      expect(JSON.stringify(rows)).not.toContain("clear-token-9a8b7c");
      expect(rows[0]?.secrets_key_id).toMatch(/^[0-9a-f]{16}$/);
      expect((await first.repos.mcpServers.get("old"))?.config).toMatchObject({
        env: { TOKEN: "clear-token-9a8b7c" },
      });
    } finally {
      await again.close();
      first.db.close();
      rmSync(first.dir, { recursive: true, force: true });
    }
  });
});
