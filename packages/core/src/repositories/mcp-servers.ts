import type { InStatement, Row } from "@libsql/client";
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
import type { SecretBox } from "../secrets/secret-box.js";
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
  /**
   * Adds (or with `replace`, adds or replaces) several servers all or nothing: every config is validated first, an
   * invalid one fails the whole call with an error naming it, and the rows are written in one batch.
   */
  saveAll(configs: readonly McpServerConfigInput[], options?: { replace?: boolean }): Promise<void>;
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
  /**
   * Encrypts the env and header values of rows written in clear (before schema version 6); returns how many rows it
   * encrypted. Safe to run at every start and from several processes.
   */
  sealStoredSecrets(): Promise<number>;
  /**
   * Re-encrypts every stored secret under the current key: values sealed with a previous key (one of
   * `previousSecretKeys`) and values in clear. All rows or none; a value no known key opens fails the whole run.
   */
  rotateSecrets(): Promise<{ servers: number; values: number }>;
}

const MAX_ERROR_CHARS = 4000;
const SELECT = `SELECT name, transport, command, args, env, cwd, url, headers, enabled, connect_timeout_ms,
  request_timeout_ms, status, last_error, created_at, updated_at, secrets_key_id FROM mcp_servers`;
const UPSERT = `INSERT INTO mcp_servers (name, transport, command, args, env, cwd, url, headers, enabled,
  connect_timeout_ms, request_timeout_ms, status, created_at, updated_at, secrets_key_id)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const ON_CONFLICT = ` ON CONFLICT (name) DO UPDATE SET transport = excluded.transport, command = excluded.command,
  args = excluded.args, env = excluded.env, cwd = excluded.cwd, url = excluded.url, headers = excluded.headers,
  enabled = excluded.enabled, connect_timeout_ms = excluded.connect_timeout_ms,
  request_timeout_ms = excluded.request_timeout_ms, updated_at = excluded.updated_at,
  secrets_key_id = excluded.secrets_key_id`;
// Only rows whose secrets are as they were read are rewritten, so a concurrent change is never overwritten.
const RESEAL = `UPDATE mcp_servers SET env = ?, headers = ?, secrets_key_id = ?
  WHERE name = ? AND env = ? AND headers = ? AND secrets_key_id IS ?`;

/** Creates the MCP-servers repository. */
export function createMcpServersRepository(
  db: WaygateDatabase,
  clock: Clock,
  box: SecretBox,
): McpServersRepository {
  /** Validates `input`; the error names the server (`what`) and each bad field. */
  function validate(input: McpServerConfigInput, what = "MCP server config"): McpServerConfig {
    return parseOrThrow(McpServerConfigSchema, input, what, (message, issues) => {
      return new ConfigValidationError(message, issues);
    });
  }

  /** The INSERT (or upsert) of one validated server, its secrets sealed. */
  function writeStatement(config: McpServerConfig, replace: boolean): InStatement {
    const now = clock();
    const stdio = config.transport === "stdio" ? config : null;
    const remote = config.transport === "stdio" ? null : config;
    const args = [
      config.name,
      config.transport,
      stdio?.command ?? null,
      JSON.stringify(stdio?.args ?? []),
      JSON.stringify(sealAll(box, config.name, "env", stdio?.env ?? {})),
      stdio?.cwd ?? null,
      remote?.url ?? null,
      JSON.stringify(sealAll(box, config.name, "headers", remote?.headers ?? {})),
      config.enabled ? 1 : 0,
      config.connectTimeoutMs,
      config.requestTimeoutMs,
      config.enabled ? "unknown" : "disabled",
      now,
      now,
      box.keyId,
    ];
    return { sql: replace ? UPSERT + ON_CONFLICT : UPSERT, args };
  }

  function isNameTaken(error: unknown): boolean {
    return /UNIQUE constraint failed: mcp_servers\.name/.test(String((error as Error).message));
  }

  async function write(input: McpServerConfigInput, replace: boolean): Promise<McpServerRecord> {
    const config = validate(input);
    try {
      await dbCall(db, `saving MCP server ${config.name}`, () =>
        db.client.execute(writeStatement(config, replace)),
      );
    } catch (error) {
      if (!replace && isNameTaken(error)) {
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

  /** Validates every server first (the error names the first bad one), then writes them all in one batch. */
  async function saveAll(inputs: readonly McpServerConfigInput[], replace: boolean): Promise<void> {
    const configs = inputs.map((input, index) =>
      validate(input, `MCP server ${JSON.stringify(input.name ?? `#${index + 1}`)}`),
    );
    const names = configs.map((config) => config.name);
    const repeated = names.filter((name, index) => names.indexOf(name) !== index);
    if (repeated.length > 0) {
      throw new ConfigValidationError(`MCP server ${JSON.stringify(repeated[0])} is given more than once.`);
    }
    if (configs.length === 0) return;
    try {
      await dbCall(db, `saving MCP servers ${names.join(", ")}`, () =>
        db.client.batch(
          configs.map((config) => writeStatement(config, replace)),
          "write",
        ),
      );
    } catch (error) {
      if (!replace && isNameTaken(error)) {
        const taken = (await readAll(false)).map((r) => r.config.name).filter((name) => names.includes(name));
        throw new AlreadyExistsError(
          `MCP server(s) ${taken.map((name) => JSON.stringify(name)).join(", ")} already exist; nothing was saved. Choose other names or replace them.`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  async function readOne(name: string): Promise<McpServerRecord | null> {
    const result = await dbCall(db, `reading MCP server ${name}`, () =>
      db.client.execute({ sql: `${SELECT} WHERE name = ?`, args: [name] }),
    );
    return result.rows[0] ? toRecord(result.rows[0], box) : null;
  }

  async function readAll(reveal: boolean): Promise<McpServerRecord[]> {
    const result = await dbCall(db, "listing MCP servers", () =>
      db.client.execute(`${SELECT} ORDER BY name`),
    );
    // Display views are redacted anyway: they never need the key (and still work after it changed).
    return result.rows.map((row) => toRecord(row, reveal ? box : undefined));
  }

  /** Rewrites the secrets of `rows` sealed under the current key in one batch; rows changed meanwhile are skipped. */
  async function reseal(rows: Row[], action: string): Promise<{ servers: number; values: number }> {
    let values = 0;
    const statements = rows.map((row) => {
      const name = String(row.name);
      const keyId = row.secrets_key_id === null ? null : String(row.secrets_key_id);
      const env = openAll(box, name, "env", JSON.parse(String(row.env)), keyId);
      const headers = openAll(box, name, "headers", JSON.parse(String(row.headers)), keyId);
      values += Object.keys(env).length + Object.keys(headers).length;
      return {
        sql: RESEAL,
        args: [
          JSON.stringify(sealAll(box, name, "env", env)),
          JSON.stringify(sealAll(box, name, "headers", headers)),
          box.keyId,
          name,
          String(row.env),
          String(row.headers),
          keyId,
        ],
      };
    });
    if (statements.length === 0) return { servers: 0, values: 0 };
    const results = await dbCall(db, action, () => db.client.batch(statements, "write"));
    return { servers: results.reduce((sum, r) => sum + r.rowsAffected, 0), values };
  }

  async function change(name: string, sql: string, args: (string | number | null)[]): Promise<void> {
    const result = await dbCall(db, `updating MCP server ${name}`, () => db.client.execute({ sql, args }));
    if (result.rowsAffected === 0) throw new NotFoundError(`No MCP server named ${JSON.stringify(name)}.`);
  }

  return {
    create: (config) => write(config, false),
    upsert: (config) => write(config, true),
    saveAll: (configs, options = {}) => saveAll(configs, options.replace === true),
    get: readOne,
    async getRedacted(name) {
      const record = await readOne(name);
      return record ? redactRecord(record) : null;
    },
    async list() {
      return (await readAll(false)).map(redactRecord);
    },
    listWithSecrets: () => readAll(true),
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
    async sealStoredSecrets() {
      const result = await dbCall(db, "reading MCP servers stored in clear", () =>
        db.client.execute(`${SELECT} WHERE secrets_key_id IS NULL`),
      );
      return (await reseal(result.rows, "encrypting stored MCP server secrets")).servers;
    },
    async rotateSecrets() {
      const result = await dbCall(db, "reading MCP servers to re-encrypt", () =>
        db.client.execute({ sql: `${SELECT} WHERE secrets_key_id IS NOT ?`, args: [box.keyId] }),
      );
      return reseal(result.rows, "re-encrypting stored MCP server secrets");
    },
  };
}

/** A row's env or headers: decrypted with `box`, or left sealed for a view that redacts them. */
function secretsOf(row: Row, field: "env" | "headers", box: SecretBox | undefined): Record<string, string> {
  const stored = JSON.parse(String(row[field])) as Record<string, unknown>;
  if (!box) return Object.fromEntries(Object.entries(stored).map(([name, value]) => [name, String(value)]));
  const keyId = row.secrets_key_id === null ? null : String(row.secrets_key_id);
  return openAll(box, String(row.name), field, stored, keyId);
}

function redactRecord(record: McpServerRecord): McpServerRecord {
  return { ...record, config: redactMcpServerConfig(record.config) };
}

/** Where a secret lives, authenticated with it so a sealed value cannot be moved to another server or field. */
function secretContext(server: string, field: "env" | "headers", name: string): string {
  return `mcp_servers.${server}.${field}.${name}`;
}

function sealAll(
  box: SecretBox,
  server: string,
  field: "env" | "headers",
  values: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => [
      name,
      box.seal(value, secretContext(server, field, name)),
    ]),
  );
}

/** Plaintext values of a stored map: rows with no key id (written before version 6) hold them in clear. */
function openAll(
  box: SecretBox,
  server: string,
  field: "env" | "headers",
  stored: Record<string, unknown>,
  keyId: string | null,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(stored).map(([name, value]) => [
      name,
      keyId === null ? String(value) : box.open(String(value), secretContext(server, field, name)),
    ]),
  );
}

function toRecord(row: Row, box: SecretBox | undefined): McpServerRecord {
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
          env: secretsOf(row, "env", box),
          ...(row.cwd === null ? {} : { cwd: row.cwd }),
        }
      : { ...common, transport: row.transport, url: row.url, headers: secretsOf(row, "headers", box) };
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
