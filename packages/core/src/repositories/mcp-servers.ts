import type { Row } from "@libsql/client";
import { z } from "zod";
import type { Clock } from "../clock.js";
import type { WaygateDatabase } from "../database/create-database.js";
import { AlreadyExistsError, ConfigValidationError, NotFoundError } from "../errors.js";
import {
  type McpServerConfig,
  type McpServerConfigInput,
  McpServerConfigSchema,
  redactMcpServerConfig,
} from "../mcp-server-config.js";
import { parseOrThrow } from "../validation.js";
import { dbCall } from "./db-call.js";

/** The last known state of an upstream. */
export const McpServerStatusSchema = z.enum([
  "unknown",
  "starting",
  "connected",
  "error",
  "stopped",
  "disabled",
]);
export type McpServerStatus = z.infer<typeof McpServerStatusSchema>;

/** A stored upstream with its full config, secrets included: for starting it, never for display. */
export interface McpServerRecord {
  config: McpServerConfig;
  status: McpServerStatus;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Upstream MCP servers. `list()` and `getRedacted()` hide env and header values; `get()` does not. */
export interface McpServersRepository {
  /** Adds a server; fails with `AlreadyExistsError` if the name is taken. */
  create(config: McpServerConfigInput): Promise<McpServerRecord>;
  /** Adds or replaces a server's config, keeping its status. */
  upsert(config: McpServerConfigInput): Promise<McpServerRecord>;
  /** Full config with secrets, or `null`. */
  get(name: string): Promise<McpServerRecord | null>;
  /** Display-safe view of one server, or `null`. */
  getRedacted(name: string): Promise<McpServerRecord | null>;
  /** Display-safe views of every server, by name. */
  list(): Promise<McpServerRecord[]>;
  /** Full configs with secrets, for the process that starts upstreams. */
  listWithSecrets(): Promise<McpServerRecord[]>;
  setStatus(name: string, status: McpServerStatus, error?: string | null): Promise<void>;
  setEnabled(name: string, enabled: boolean): Promise<void>;
  /** Forgets a server; true when it existed. */
  remove(name: string): Promise<boolean>;
}

const MAX_ERROR_CHARS = 4000;
const SELECT = `SELECT name, transport, command, args, env, cwd, url, headers, enabled, connect_timeout_ms,
  request_timeout_ms, status, last_error, created_at, updated_at FROM mcp_servers`;
const UPSERT = `INSERT INTO mcp_servers (name, transport, command, args, env, cwd, url, headers, enabled,
  connect_timeout_ms, request_timeout_ms, status, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const ON_CONFLICT = ` ON CONFLICT (name) DO UPDATE SET transport = excluded.transport, command = excluded.command,
  args = excluded.args, env = excluded.env, cwd = excluded.cwd, url = excluded.url, headers = excluded.headers,
  enabled = excluded.enabled, connect_timeout_ms = excluded.connect_timeout_ms,
  request_timeout_ms = excluded.request_timeout_ms, updated_at = excluded.updated_at`;

/** Creates the MCP-servers repository. */
export function createMcpServersRepository(db: WaygateDatabase, clock: Clock): McpServersRepository {
  async function write(input: McpServerConfigInput, replace: boolean): Promise<McpServerRecord> {
    const config = parseOrThrow(McpServerConfigSchema, input, "MCP server config", (message, issues) => {
      return new ConfigValidationError(message, issues);
    });
    const now = clock();
    const stdio = config.transport === "stdio" ? config : null;
    const remote = config.transport === "stdio" ? null : config;
    const args = [
      config.name,
      config.transport,
      stdio?.command ?? null,
      JSON.stringify(stdio?.args ?? []),
      JSON.stringify(stdio?.env ?? {}),
      stdio?.cwd ?? null,
      remote?.url ?? null,
      JSON.stringify(remote?.headers ?? {}),
      config.enabled ? 1 : 0,
      config.connectTimeoutMs,
      config.requestTimeoutMs,
      config.enabled ? "unknown" : "disabled",
      now,
      now,
    ];
    try {
      await dbCall(db, `saving MCP server ${config.name}`, () =>
        db.client.execute({ sql: replace ? UPSERT + ON_CONFLICT : UPSERT, args }),
      );
    } catch (error) {
      if (!replace && /UNIQUE constraint failed: mcp_servers\.name/.test(String((error as Error).message))) {
        throw new AlreadyExistsError(
          `An MCP server named ${JSON.stringify(config.name)} already exists; choose another name or update it instead.`,
          { cause: error },
        );
      }
      throw error;
    }
    const saved = await readOne(config.name);
    if (!saved)
      throw new NotFoundError(`MCP server ${JSON.stringify(config.name)} vanished while being saved.`);
    return saved;
  }

  async function readOne(name: string): Promise<McpServerRecord | null> {
    const result = await dbCall(db, `reading MCP server ${name}`, () =>
      db.client.execute({ sql: `${SELECT} WHERE name = ?`, args: [name] }),
    );
    return result.rows[0] ? toRecord(result.rows[0]) : null;
  }

  async function readAll(): Promise<McpServerRecord[]> {
    const result = await dbCall(db, "listing MCP servers", () =>
      db.client.execute(`${SELECT} ORDER BY name`),
    );
    return result.rows.map(toRecord);
  }

  async function change(name: string, sql: string, args: (string | number | null)[]): Promise<void> {
    const result = await dbCall(db, `updating MCP server ${name}`, () => db.client.execute({ sql, args }));
    if (result.rowsAffected === 0) throw new NotFoundError(`No MCP server named ${JSON.stringify(name)}.`);
  }

  return {
    create: (config) => write(config, false),
    upsert: (config) => write(config, true),
    get: readOne,
    async getRedacted(name) {
      const record = await readOne(name);
      return record ? redactRecord(record) : null;
    },
    async list() {
      return (await readAll()).map(redactRecord);
    },
    listWithSecrets: readAll,
    async setStatus(name, status, error = null) {
      const parsed = parseOrThrow(McpServerStatusSchema, status, "MCP server status");
      await change(name, "UPDATE mcp_servers SET status = ?, last_error = ?, updated_at = ? WHERE name = ?", [
        parsed,
        error?.slice(0, MAX_ERROR_CHARS) ?? null,
        clock(),
        name,
      ]);
    },
    async setEnabled(name, enabled) {
      await change(
        name,
        `UPDATE mcp_servers SET enabled = ?, updated_at = ?,
          status = CASE WHEN ? = 0 THEN 'disabled' WHEN status = 'disabled' THEN 'unknown' ELSE status END WHERE name = ?`,
        [enabled ? 1 : 0, clock(), enabled ? 1 : 0, name],
      );
    },
    async remove(name) {
      const result = await dbCall(db, `removing MCP server ${name}`, () =>
        db.client.execute({ sql: "DELETE FROM mcp_servers WHERE name = ?", args: [name] }),
      );
      return result.rowsAffected > 0;
    },
  };
}

function redactRecord(record: McpServerRecord): McpServerRecord {
  return { ...record, config: redactMcpServerConfig(record.config) };
}

function toRecord(row: Row): McpServerRecord {
  const common = {
    name: String(row.name),
    enabled: Number(row.enabled) === 1,
    connectTimeoutMs: Number(row.connect_timeout_ms),
    requestTimeoutMs: Number(row.request_timeout_ms),
  };
  const raw =
    row.transport === "stdio"
      ? {
          ...common,
          transport: "stdio",
          command: row.command,
          args: JSON.parse(String(row.args)),
          env: JSON.parse(String(row.env)),
          ...(row.cwd === null ? {} : { cwd: row.cwd }),
        }
      : { ...common, transport: row.transport, url: row.url, headers: JSON.parse(String(row.headers)) };
  // Rows are re-validated so a hand-edited database cannot hand a bad command to the process starter.
  const config = parseOrThrow(
    McpServerConfigSchema,
    raw,
    `stored MCP server ${common.name}`,
    (message, issues) => {
      return new ConfigValidationError(`${message}. Fix or remove the row in mcp_servers.`, issues);
    },
  );
  return {
    config,
    status: row.status as McpServerStatus,
    lastError: row.last_error === null ? null : String(row.last_error),
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
  };
}
