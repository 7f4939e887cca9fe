import {
  type AuditPrincipal,
  type AuditWriter,
  createAuditWriter,
  createRepositories,
  LATEST_SCHEMA_VERSION,
  openDatabase,
  probeWrite,
  type WaygateDatabase,
} from "@waygate/core";
import type { AuditRecord, AuditSink } from "./audit.js";
import { principalOfKeyId } from "./auth/oauth-caller.js";

/** The repositories core creates for one database. */
export type Repositories = ReturnType<typeof createRepositories>;

/** The gateway's handle on core: the database, its repositories and the audit writer. */
export interface Store extends AuditSink {
  db: WaygateDatabase;
  repos: Repositories;
  kind: WaygateDatabase["kind"];
  /** Checks that a write could commit (a write transaction begun and rolled back, within the busy timeout); never throws. */
  ping(): Promise<{ ok: boolean; latencyMs: number; error?: string }>;
  auditDepth(): number;
  /** True when every migration core knows about has been applied. */
  schemaCurrent(): Promise<boolean>;
  /** Flushes the audit queue, then closes the database if the gateway opened it. */
  close(): Promise<void>;
}

/**
 * An external issuer's caller has a keyId that names no `api_keys` row (the column's foreign key): its row records the
 * token's subject and client id as the principal instead. A built-in authorization server's caller keeps its key's id
 * and records the principal beside it.
 */
function withPrincipal(entry: AuditRecord): AuditRecord & { principal?: AuditPrincipal } {
  const principal = principalOfKeyId(entry.keyId);
  return principal ? { ...entry, keyId: null, principal } : entry;
}

/** Opens (or adopts) the database, creates repositories and the audit writer. */
export async function openStore(options: {
  database?: WaygateDatabase;
  databaseUrl?: string;
  databaseAuthToken?: string;
  databaseSynchronous?: "full" | "normal";
  secretKey: string;
}): Promise<Store> {
  const owned = !options.database;
  const db =
    options.database ??
    (await openDatabase({
      ...(options.databaseUrl ? { url: options.databaseUrl } : {}),
      ...(options.databaseAuthToken ? { authToken: options.databaseAuthToken } : {}),
      ...(options.databaseSynchronous ? { synchronous: options.databaseSynchronous } : {}),
    }));
  const repos = createRepositories(db, { secretKey: options.secretKey });
  // Upstream secrets stored in clear by an older version are encrypted before anything reads them.
  try {
    await repos.mcpServers.sealStoredSecrets();
  } catch (error) {
    if (owned) db.close();
    throw error;
  }
  // The secret keys the audit chain, so only a holder of WAYGATE_SECRET_KEY can rebuild it.
  const audit: AuditWriter = createAuditWriter(db, { secretKey: options.secretKey });
  return {
    db,
    repos,
    kind: db.kind,
    record: (entry: AuditRecord) => audit.record(withPrincipal(entry)),
    auditDepth: () => audit.depth,
    async schemaCurrent() {
      try {
        const result = await db.client.execute("SELECT max(version) FROM schema_migrations");
        return Number(result.rows[0]?.[0] ?? 0) >= LATEST_SCHEMA_VERSION;
      } catch {
        return false;
      }
    },
    async ping() {
      const started = performance.now();
      try {
        await probeWrite(db);
        return { ok: true, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
      } catch (error) {
        return {
          ok: false,
          latencyMs: Math.round((performance.now() - started) * 100) / 100,
          error: (error as Error).message ?? String(error),
        };
      }
    },
    async close() {
      await audit.close();
      if (owned) db.close();
    },
  };
}
