import {
  AlreadyExistsError,
  type ApiKeyRecord,
  createDatabase,
  createRepositories,
  exportAuditRows,
  type McpServerRecord,
  migrate,
  NotFoundError,
  verifyAuditChain,
} from "@waygate/core";
import type { GatewayConfig } from "../config/load.js";
import { CliError } from "../errors.js";
import { resolveSecretKey } from "../runtime/dev-secret.js";
import type { GatewayStore, KeySummary, StoredServer } from "./types.js";

const iso = (date: Date | null) => (date === null ? null : date.toISOString());

function toKeySummary(key: ApiKeyRecord): KeySummary {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    toolPatterns: key.toolPatterns,
    rateLimitPerMinute: key.rateLimitPerMinute,
    expiresAt: iso(key.expiresAt),
    revokedAt: iso(key.revokedAt),
    lastUsedAt: iso(key.lastUsedAt),
    createdAt: iso(key.createdAt),
  };
}

const toStored = (record: McpServerRecord): StoredServer => ({
  ...record.config,
  status: record.status,
  lastError: record.lastError,
  statusAt: record.updatedAt.toISOString(),
});

/**
 * Opens the configured database (migrating it unless told not to) with core's repositories, keyed by the
 * configured or development secret.
 */
export async function openStore(
  config: GatewayConfig,
  cwd: string,
  options: { migrate?: boolean } = {},
): Promise<GatewayStore> {
  const { secretKey } = await resolveSecretKey(config, cwd);
  const db = await createDatabase({
    url: config.database.url,
    ...(config.database.authToken === undefined ? {} : { authToken: config.database.authToken }),
    ...(config.database.synchronous === undefined ? {} : { synchronous: config.database.synchronous }),
  });
  try {
    if (options.migrate !== false) await migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  const repos = createRepositories(db, {
    secretKey,
    ...(config.previousSecretKey === undefined ? {} : { previousSecretKeys: [config.previousSecretKey] }),
  });

  const isNotFound = (error: unknown) => NotFoundError.isInstance(error);
  // Recorded before the write, so that a running gateway that sees the change (server sync) logs it as the CLI's
  // (`server.changed` is the event @waygate/server's sync looks for), not as another replica's.
  const cliChanged = (servers: string[], action: string) =>
    repos.systemEvents.record({
      level: "info",
      type: "server.changed",
      message: `waygate servers ${action}: ${servers.join(", ")}`,
      details: { servers, action, source: "cli" },
    });
  return {
    async migrate() {
      const result = await migrate(db);
      return result.applied.map(String);
    },
    sealSecrets: () => repos.mcpServers.sealStoredSecrets(),
    rotateSecrets: () => repos.mcpServers.rotateSecrets(),
    async createKey(input) {
      const created = await repos.apiKeys.create(input);
      return { key: toKeySummary(created.key), plaintext: created.plaintext };
    },
    async listKeys() {
      return (await repos.apiKeys.list()).map(toKeySummary);
    },
    async revokeKey(id) {
      try {
        return toKeySummary(await repos.apiKeys.revoke(id));
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    countActiveKeys: () => repos.apiKeys.count({ activeOnly: true }),
    countAllKeys: () => repos.apiKeys.count(),
    async addServer(server) {
      await cliChanged([server.name], "add");
      try {
        await repos.mcpServers.create(server);
      } catch (error) {
        if (AlreadyExistsError.isInstance(error)) {
          throw new CliError(
            "conflict",
            `a server named "${server.name}" is already stored: pick another name, or \`waygate servers remove ${server.name}\` first`,
            { cause: error },
          );
        }
        throw error;
      }
    },
    async addServers(servers, replace) {
      await cliChanged(
        servers.map((server) => server.name),
        "import",
      );
      try {
        // One batch: an invalid entry or a taken name writes nothing, and the error names the entry.
        await repos.mcpServers.saveAll(servers, { replace });
      } catch (error) {
        if (AlreadyExistsError.isInstance(error)) {
          throw new CliError("conflict", `${error.message} Rerun with --replace to overwrite them`, {
            cause: error,
          });
        }
        throw error;
      }
    },
    async listServers() {
      return (await repos.mcpServers.list()).map(toStored);
    },
    async listServersWithSecrets() {
      return (await repos.mcpServers.listWithSecrets()).map(toStored);
    },
    async getServer(name) {
      const record = await repos.mcpServers.get(name);
      return record === null ? undefined : toStored(record);
    },
    async removeServer(name) {
      await cliChanged([name], "remove");
      return repos.mcpServers.remove(name);
    },
    async setServerEnabled(name, enabled) {
      await cliChanged([name], enabled ? "enable" : "disable");
      try {
        await repos.mcpServers.setEnabled(name, enabled);
        return true;
      } catch (error) {
        if (isNotFound(error)) return false;
        throw error;
      }
    },
    async recordEvent(level, type, message, details) {
      await repos.systemEvents.record({
        level,
        type,
        message,
        ...(details === undefined ? {} : { details }),
      });
    },
    verifyAudit: () => verifyAuditChain(db, { secretKey }),
    exportAudit: (since) => exportAuditRows(db, since ? { since } : {}),
    pins: repos.definitionPins,
    upstreamTokens: repos.upstreamUserTokens,
    oauthGrants: repos.oauthStore,
    plugins: repos.plugins,
    settings: repos.config,
    metrics: repos.metrics,
    async close() {
      db.close();
    },
  };
}
