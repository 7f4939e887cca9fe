// The connections of a per-user upstream: one bridge per principal that signed in, opened on its first call, closed
// after `idleCloseMs` idle, or when more than `maxConnections` are open (the least recently used goes).
import type { PluginStartOptions } from "@waygate/plugin-sdk";
import type { HostedPlugin } from "../hosted-plugin.js";
import { UserTokenProvider, type UserTokenScope } from "./user-token-provider.js";

/** Raised when a call needs the caller's sign-in: it becomes a link result, never a call upstream. */
export class SignInNeeded extends Error {}

interface Connection {
  plugin: HostedPlugin;
  ready: Promise<void>;
  lastUsed: number;
  unsubscribe: () => void;
}

/** What the connections need of their upstream. */
export interface PrincipalConnectionsDeps {
  scope: UserTokenScope;
  /** Builds one principal's MCP bridge to the upstream, with that principal's token provider. */
  connect: (provider: UserTokenProvider) => HostedPlugin;
  /** How a new bridge is started (the upstream's own start options). */
  startOptions: () => PluginStartOptions;
  /** Told when a bridge started or its lists changed: the upstream's lists are the last connection's. */
  listsChanged: (plugin: HostedPlugin) => Promise<void>;
  now?: () => number;
}

/** The open connections of one per-user upstream, by principal. */
export class PrincipalConnections {
  readonly #deps: PrincipalConnectionsDeps;
  readonly #open = new Map<string, Connection>();

  constructor(deps: PrincipalConnectionsDeps) {
    this.#deps = deps;
  }

  /** How many principals have a connection open now. */
  get size(): number {
    return this.#open.size;
  }

  /** The principal's open connection, opened when it has a token; SignInNeeded when it has none. */
  async get(principal: string): Promise<HostedPlugin> {
    const now = (this.#deps.now ?? Date.now)();
    const { scope } = this.#deps;
    if (!(await scope.tokens.get(scope.server, principal))) {
      await this.close(principal);
      throw new SignInNeeded();
    }
    let connection = this.#open.get(principal);
    if (!connection) {
      await this.#makeRoom();
      const plugin = this.#deps.connect(new UserTokenProvider(scope, principal));
      const unsubscribe = plugin.onListChanged(() => void this.#deps.listsChanged(plugin));
      const ready = plugin.start(this.#deps.startOptions()).then(() => this.#deps.listsChanged(plugin));
      connection = { plugin, ready, lastUsed: now, unsubscribe };
      this.#open.set(principal, connection);
    }
    connection.lastUsed = now;
    try {
      await connection.ready;
    } catch (error) {
      await this.close(principal);
      // Refused with this token (revoked or expired at the upstream, refresh failed): the person signs in again.
      if (isAuthFailure(error)) throw new SignInNeeded();
      throw error;
    }
    return connection.plugin;
  }

  /** Closes the principal's connection; the next call opens a new one, or asks to sign in. */
  async close(principal: string): Promise<void> {
    const connection = this.#open.get(principal);
    if (!connection) return;
    this.#open.delete(principal);
    connection.unsubscribe();
    await connection.plugin.shutdown().catch(() => {});
  }

  /** Closes every connection. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#open.keys()].map((principal) => this.close(principal)));
  }

  /** Closes the connections unused for `idleCloseMs`. */
  async closeIdle(): Promise<void> {
    const cutoff = (this.#deps.now ?? Date.now)() - this.#deps.scope.settings.idleCloseMs;
    for (const [principal, connection] of this.#open) {
      if (connection.lastUsed <= cutoff) await this.close(principal);
    }
  }

  async #makeRoom(): Promise<void> {
    const max = this.#deps.scope.settings.maxConnections;
    while (this.#open.size >= max) {
      const [oldest] = [...this.#open].sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
      if (!oldest) return;
      await this.close(oldest[0]);
    }
  }
}

function isAuthFailure(error: unknown): boolean {
  const text = `${(error as Error)?.name ?? ""} ${(error as Error)?.message ?? ""}`;
  return /Unauthori[sz]ed|invalid_grant|invalid_token|\b401\b/i.test(text);
}
