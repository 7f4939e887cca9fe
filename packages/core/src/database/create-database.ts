import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { Client } from "@libsql/client";
import { DatabaseError, DatabaseReadOnlyError, DatabaseUnreachableError } from "../errors.js";
import { type DatabaseErrorContext, errorCode, toDatabaseError } from "./map-error.js";
import { parseSynchronousLevel, type SynchronousLevel, withSynchronous } from "./synchronous.js";
import { DEFAULT_DATABASE_URL, type ParsedDatabaseUrl, parseDatabaseUrl } from "./url.js";
import { createWriteConnection, type WriteConnection } from "./write-connection.js";

/**
 * How to reach the database; every field is optional. `url` and `authToken` also take `undefined` (the
 * default applies), so `process.env.DATABASE_URL` can be passed as is under `exactOptionalPropertyTypes`.
 */
export interface CreateDatabaseOptions {
  /** `file:./path.db` (default `file:./data/waygate.db`), `:memory:`, `libsql://…` or `https://…`. */
  url?: string | undefined;
  /** Token for a remote (Turso / sqld) database; `?authToken=` in the URL works too. */
  authToken?: string | undefined;
  /** How long a local file operation waits for another process's lock before failing (default 5000). */
  busyTimeoutMs?: number;
  /** How long the first round trip to a remote database may take before it counts as unreachable (default 10000). */
  connectTimeoutMs?: number;
  /**
   * Local files only: `normal` (default; WAL + `synchronous=NORMAL`) keeps every commit through a process crash,
   * even SIGKILL, but an OS crash or power loss can lose the last commits; `full` fsyncs every commit so it also
   * survives those, and costs one fsync per commit. Holds for every connection the client opens.
   */
  synchronous?: SynchronousLevel;
}

/** An open Waygate database: a libSQL client plus what kind of database it talks to. */
export interface WaygateDatabase {
  /** The underlying `@libsql/client` client, for queries core does not cover. */
  readonly client: Client;
  /** The database URL with credentials removed, safe to log. */
  readonly url: string;
  readonly kind: "file" | "memory" | "remote";
  /** The busy timeout applied to local connections, in milliseconds. */
  readonly busyTimeoutMs: number;
  /** The commit durability of a local file (`undefined` for memory and remote databases). */
  readonly synchronous: SynchronousLevel | undefined;
  /**
   * Local files: a dedicated connection for a hot write path, with the same busy timeout and synchronous level,
   * statements prepared once, and no per-transaction checks; `undefined` for memory and remote databases.
   * Close it when done; `close()` here closes it too.
   */
  openWriteConnection(): WriteConnection | undefined;
  /** Closes every connection, including those from `openWriteConnection`; safe to call twice. */
  close(): void;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_SYNCHRONOUS: SynchronousLevel = "normal";

/** Opens (and for `file:` URLs creates) a database; local files get WAL, a busy timeout and foreign keys. */
export async function createDatabase(options: CreateDatabaseOptions = {}): Promise<WaygateDatabase> {
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new DatabaseError(
      `busyTimeoutMs must be a whole number of milliseconds >= 0, got ${busyTimeoutMs}.`,
    );
  }
  const synchronous = parseSynchronousLevel(options.synchronous ?? DEFAULT_SYNCHRONOUS);
  const target = parseDatabaseUrl(options.url ?? DEFAULT_DATABASE_URL);
  const context: DatabaseErrorContext = {
    displayUrl: target.displayUrl,
    kind: target.kind,
    busyTimeoutMs,
    action: "opening the database",
  };
  if (target.kind === "file") ensureParentFolder(target.path, target.displayUrl);

  // A local database needs only libSQL's SQLite client; the remote one (HTTP and WebSocket, about 6 MB resident) is
  // loaded only for a libsql:// or https:// URL.
  const { createClient } =
    target.kind === "remote" ? await import("@libsql/client") : await import("@libsql/client/sqlite3");
  let client: Client;
  try {
    client = createClient({
      url: target.clientUrl,
      authToken: target.kind === "remote" ? (options.authToken ?? target.authToken) : undefined,
      timeout: target.kind === "file" ? busyTimeoutMs : undefined,
    });
  } catch (error) {
    throw toDatabaseError(error, context);
  }
  try {
    await prepareConnection(
      client,
      target,
      options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      busyTimeoutMs,
    );
    if (target.kind === "file") await client.execute(`PRAGMA synchronous = ${synchronous.toUpperCase()}`);
  } catch (error) {
    client.close();
    throw toDatabaseError(error, context);
  }
  if (target.kind !== "file") return wrap(client, target, busyTimeoutMs, undefined);
  return wrap(withSynchronous(client, synchronous), target, busyTimeoutMs, synchronous);
}

function ensureParentFolder(path: string, displayUrl: string): void {
  const folder = dirname(path);
  try {
    mkdirSync(folder, { recursive: true });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const message =
      code === "EACCES" || code === "EPERM" || code === "EROFS"
        ? `Cannot create the folder ${folder} for the database ${displayUrl}: permission denied. ` +
          "Create it yourself or choose a writable DATABASE_URL."
        : `Cannot create the folder ${folder} for the database ${displayUrl} (${(cause as Error).message}). ` +
          "Choose a DATABASE_URL whose folder can be created.";
    throw new DatabaseReadOnlyError(message, { cause });
  }
}

async function prepareConnection(
  client: Client,
  target: ParsedDatabaseUrl,
  connectTimeoutMs: number,
  busyTimeoutMs: number,
) {
  if (target.kind === "remote") {
    await withTimeout(client.execute("SELECT 1"), connectTimeoutMs, target.displayUrl);
    return;
  }
  if (target.kind === "file") {
    const mode = await switchToWal(client, busyTimeoutMs);
    const journal = String(mode.rows[0]?.[0] ?? "").toLowerCase();
    if (journal !== "wal") {
      throw new DatabaseError(
        `The database ${target.displayUrl} stayed in journal mode "${journal}" instead of WAL; ` +
          "it may be on a file system without shared-memory support. Move it to a local disk.",
      );
    }
  }
  // libSQL turns foreign keys on for every connection it opens; check rather than trust it.
  await client.execute("PRAGMA foreign_keys = ON");
  const fk = await client.execute("PRAGMA foreign_keys");
  if (Number(fk.rows[0]?.[0]) !== 1) {
    throw new DatabaseError(`Foreign keys could not be enabled on ${target.displayUrl}.`);
  }
}

/**
 * Puts a local file in WAL mode. Switching a new file's journal needs its exclusive lock, and SQLite answers
 * SQLITE_BUSY at once (without its busy handler) while another process opening the same new file holds it, so the
 * switch is tried again for up to the busy timeout, as any other locked statement would wait.
 */
async function switchToWal(client: Client, busyTimeoutMs: number) {
  const deadline = Date.now() + busyTimeoutMs;
  for (;;) {
    try {
      return await client.execute("PRAGMA journal_mode = WAL");
    } catch (error) {
      if (errorCode(error) !== "SQLITE_BUSY" || Date.now() >= deadline) throw error;
      await delay(10 + Math.floor(Math.random() * 20));
    }
  }
}

async function withTimeout<T>(work: Promise<T>, ms: number, displayUrl: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new DatabaseUnreachableError(
            `The remote database ${displayUrl} did not answer within ${ms} ms. ` +
              "Check the URL and your network, or raise connectTimeoutMs.",
          ),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function wrap(
  client: Client,
  target: ParsedDatabaseUrl,
  busyTimeoutMs: number,
  synchronous: SynchronousLevel | undefined,
): WaygateDatabase {
  const writeConnections = new Set<WriteConnection>();
  return {
    client,
    url: target.displayUrl,
    kind: target.kind,
    busyTimeoutMs,
    synchronous,
    openWriteConnection() {
      if (target.kind !== "file" || synchronous === undefined) return undefined;
      const connection = createWriteConnection({
        path: target.path,
        displayUrl: target.displayUrl,
        busyTimeoutMs,
        synchronous,
        onClose: () => writeConnections.delete(connection),
      });
      if (client.closed) connection.close();
      else writeConnections.add(connection);
      return connection;
    },
    close() {
      for (const connection of [...writeConnections]) connection.close();
      if (!client.closed) client.close();
    },
  };
}
