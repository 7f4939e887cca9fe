import type {
  AuditChainReport,
  ConfigRepository,
  DefaultConfigDefinitions,
  DefinitionPinsRepository,
  ExportedAuditRow,
  MetricsRepository,
  OAuthStoreRepository,
  PluginsRepository,
  UpstreamUserTokensRepository,
} from "@waygate/core";
import type { UpstreamServer } from "../config/server-entry.js";

/** An API key as the CLI shows it (never the plaintext or its hash). */
export interface KeySummary {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  toolPatterns: string[];
  rateLimitPerMinute: number | null;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  createdAt: string | null;
}

/** What `keys create` asks for. */
export interface NewKey {
  name: string;
  scopes: string[];
  toolPatterns: string[];
  rateLimitPerMinute: number | null;
  expiresAt: Date | null;
}

/** A stored upstream server, as the CLI shows it. */
/** A stored server with the state a gateway last recorded for it, its error and when (the row's update time). */
export type StoredServer = UpstreamServer & {
  status: string | null;
  lastError?: string | null;
  statusAt?: string;
};

/**
 * The database operations the CLI needs, over @waygate/core. Kept in one place so that the commands do
 * not depend on the shape of core's repositories.
 */
export interface GatewayStore {
  /** Applies pending migrations; returns the versions applied now. */
  migrate(): Promise<string[]>;
  /** Encrypts upstream secrets stored in clear by an older version; returns how many servers it changed. */
  sealSecrets(): Promise<number>;
  /** Re-encrypts every stored upstream secret under the current key (`previousSecretKey` opens older ones). */
  rotateSecrets(): Promise<{ servers: number; values: number }>;
  createKey(input: NewKey): Promise<{ key: KeySummary; plaintext: string }>;
  listKeys(): Promise<KeySummary[]>;
  /** Revokes a key by id; `undefined` when there is no such key. */
  revokeKey(id: string): Promise<KeySummary | undefined>;
  /** Number of keys that are neither revoked nor expired. */
  countActiveKeys(): Promise<number>;
  /** Number of keys ever created, revoked and expired included. */
  countAllKeys(): Promise<number>;
  addServer(server: UpstreamServer): Promise<void>;
  /** Adds several servers in one transaction: all or none. */
  addServers(servers: readonly UpstreamServer[], replace: boolean): Promise<void>;
  /** Stored servers for display: env and header values hidden. */
  listServers(): Promise<StoredServer[]>;
  /** Stored servers with their secrets, for starting or probing them. */
  listServersWithSecrets(): Promise<StoredServer[]>;
  getServer(name: string): Promise<StoredServer | undefined>;
  removeServer(name: string): Promise<boolean>;
  setServerEnabled(name: string, enabled: boolean): Promise<boolean>;
  recordEvent(
    level: "info" | "warn" | "error",
    type: string,
    message: string,
    details?: object,
  ): Promise<void>;
  /** Walks the audit chain and names the first changed row (core's `verifyAuditChain`). */
  verifyAudit(): Promise<AuditChainReport>;
  /** The audit trail in id order with each row's chain value, from `since` on. */
  exportAudit(since?: Date): AsyncIterable<ExportedAuditRow>;
  /** Definition pins (core's `definitionPins`). */
  pins: Pick<DefinitionPinsRepository, "list" | "approve" | "reject">;
  /** The plugin registry running gateways write (core's `plugins`). */
  plugins: Pick<PluginsRepository, "list" | "instances">;
  /** Runtime settings (core's `config`). */
  settings: Pick<ConfigRepository<DefaultConfigDefinitions>, "list" | "change">;
  /** Metric roll-ups (core's `metrics`). */
  metrics: Pick<MetricsRepository, "history">;
  /** Per-user upstream OAuth tokens (core's `upstreamUserTokens`), listed without secrets. */
  upstreamTokens: Pick<UpstreamUserTokensRepository, "list" | "revoke" | "revokePrincipal">;
  /** The built-in authorization server's grants (core's `oauthStore`), listed without tokens. */
  oauthGrants: Pick<OAuthStoreRepository, "listGrants" | "revokeGrant" | "revokeGrantsOfAccount">;
  close(): Promise<void>;
}
