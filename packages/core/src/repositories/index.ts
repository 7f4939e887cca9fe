import { type Clock, systemClock } from "../clock.js";
import {
  type ConfigDefinitions,
  type DefaultConfigDefinitions,
  defaultConfigDefinitions,
} from "../config-definitions.js";
import type { WaygateDatabase } from "../database/create-database.js";
import { createSecretBox } from "../secrets/secret-box.js";
import { type ApiKeysRepository, createApiKeysRepository } from "./api-keys.js";
import { type CommandHistoryRepository, createCommandHistoryRepository } from "./command-history.js";
import { type ConfigRepository, createConfigRepository } from "./config.js";
import { createDefinitionPinsRepository, type DefinitionPinsRepository } from "./definition-pins.js";
import { createMcpServersRepository, type McpServersRepository } from "./mcp-servers.js";
import { createMetricsRepository, type MetricsRepository } from "./metrics.js";
import { createOAuthStoreRepository, type OAuthStoreRepository } from "./oauth-store.js";
import { createPluginsRepository, type PluginsRepository } from "./plugins.js";
import { createSystemEventsRepository, type SystemEventsRepository } from "./system-events.js";
import { createUpstreamErasRepository, type UpstreamErasRepository } from "./upstream-eras.js";
import {
  createUpstreamUserTokensRepository,
  type UpstreamUserTokensRepository,
} from "./upstream-user-tokens.js";

/** Options for `createRepositories`. */
export interface RepositoriesOptions<D extends ConfigDefinitions = DefaultConfigDefinitions> {
  /**
   * `WAYGATE_SECRET_KEY`: keys the API-key hashes and encrypts upstream secrets (env and header values of
   * `mcp_servers`, AES-256-GCM under an HKDF-derived key); at least 32 characters, and it must not change.
   */
  secretKey: string;
  /** Keys that encrypted upstream secrets before a rotation: read only, for `mcpServers.rotateSecrets()`. */
  previousSecretKeys?: readonly string[];
  /** Typed settings for `config` (default: Waygate's own). */
  configDefinitions?: D;
  /** Cap on stored tool-call arguments in `commandHistory.appendMany`, in bytes (default 8192). */
  maxArgumentBytes?: number;
  /**
   * How long `apiKeys.verify` reuses a key it has read, in milliseconds (default 1000; 0 reads every time).
   * Revocations made through these repositories apply at once; ones made elsewhere (another process,
   * replica or connection) within this window.
   */
  apiKeyCacheMs?: number;
  /** Time source, for tests. */
  clock?: Clock;
}

/** One typed repository per table. */
export interface Repositories<D extends ConfigDefinitions = DefaultConfigDefinitions> {
  config: ConfigRepository<D>;
  apiKeys: ApiKeysRepository;
  plugins: PluginsRepository;
  commandHistory: CommandHistoryRepository;
  metrics: MetricsRepository;
  systemEvents: SystemEventsRepository;
  mcpServers: McpServersRepository;
  definitionPins: DefinitionPinsRepository;
  upstreamEras: UpstreamErasRepository;
  /** The built-in OAuth authorization server's clients, codes, tokens and sessions (ids hashed, payloads sealed). */
  oauthStore: OAuthStoreRepository;
  /** Per-user OAuth tokens for remote upstreams (sealed), by server and principal. */
  upstreamUserTokens: UpstreamUserTokensRepository;
}

/** Creates every repository over one migrated database. */
export function createRepositories<D extends ConfigDefinitions = DefaultConfigDefinitions>(
  db: WaygateDatabase,
  options: RepositoriesOptions<D>,
): Repositories<D> {
  const clock = options.clock ?? systemClock;
  const box = createSecretBox(options.secretKey, options.previousSecretKeys);
  return {
    config: createConfigRepository(
      db,
      options.configDefinitions ?? (defaultConfigDefinitions as unknown as D),
      clock,
    ),
    apiKeys: createApiKeysRepository(db, options.secretKey, clock, options.apiKeyCacheMs),
    plugins: createPluginsRepository(db, clock),
    commandHistory: createCommandHistoryRepository(db, clock, options.maxArgumentBytes, options.secretKey),
    metrics: createMetricsRepository(db, clock),
    systemEvents: createSystemEventsRepository(db, clock),
    mcpServers: createMcpServersRepository(db, clock, box),
    definitionPins: createDefinitionPinsRepository(db, clock),
    upstreamEras: createUpstreamErasRepository(db, clock),
    oauthStore: createOAuthStoreRepository(db, clock, box),
    upstreamUserTokens: createUpstreamUserTokensRepository(db, clock, box),
  };
}
