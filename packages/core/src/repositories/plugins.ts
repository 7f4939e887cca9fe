import type { Row } from "@libsql/client";
import { z } from "zod";
import type { Clock } from "../clock.js";
import type { WaygateDatabase } from "../database/create-database.js";
import { NotFoundError } from "../errors.js";
import { parseOrThrow } from "../validation.js";
import { dbCall, toDate } from "./db-call.js";

/** Where a plugin is in its life. */
export const PluginStatusSchema = z.enum(["registered", "loaded", "failed", "disabled"]);
export type PluginStatus = z.infer<typeof PluginStatusSchema>;

/** What `plugins.upsert` accepts: the plugin's name and where it is loaded from. */
export const PluginInputSchema = z.object({
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "must be 1-64 letters, digits, _ or -"),
  /** An npm package name or a file path. */
  source: z.string().trim().min(1).max(1024),
  version: z.string().max(64).nullable().default(null),
  enabled: z.boolean().default(true),
});
export type PluginInput = z.input<typeof PluginInputSchema>;

/** A registered plugin and its last known state. */
export interface PluginRecord {
  name: string;
  source: string;
  version: string | null;
  enabled: boolean;
  status: PluginStatus;
  lastError: string | null;
  loadedAt: Date | null;
  /** Successful loads (starts and reloads) over every gateway instance. */
  loadCount: number;
  /** Failed imports, starts and status changes to failed, over every gateway instance. */
  errorCount: number;
  /** The gateway instance that reported last. */
  instanceId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** One gateway instance's view of one plugin. */
export interface PluginInstanceRecord {
  name: string;
  instanceId: string;
  /** The plugin's own state as the SDK reports it (`ready`, `degraded`, `failed`, `stopped`…). */
  state: string;
  status: PluginStatus;
  lastError: string | null;
  loadedAt: Date | null;
  loadCount: number;
  errorCount: number;
  updatedAt: Date;
}

/** What a gateway instance reports about a plugin: where it came from, and what just happened to it. */
export const PluginReportSchema = PluginInputSchema.extend({
  instanceId: z.string().trim().min(1).max(200),
  status: PluginStatusSchema,
  /** The SDK's state (`ready`, `failed`…), or `import_failed` / `stopped` from the host. */
  state: z.string().min(1).max(64),
  error: z.string().nullable().default(null),
  /** True for a successful start or reload: counts one load and stamps `loadedAt`. */
  countLoad: z.boolean().default(false),
  /** True for a failure the operator should count (a failed import, start, or a fall into `failed`). */
  countError: z.boolean().default(false),
  /**
   * True when only this instance's row changes (a replica stopping its plugins): the shared row keeps the status the
   * running replicas reported.
   */
  instanceOnly: z.boolean().default(false),
});
export type PluginReport = z.input<typeof PluginReportSchema>;

/** The plugins the gateway knows about and whether they loaded. */
export interface PluginsRepository {
  /** Registers a plugin or updates its source, version and enabled flag. */
  upsert(input: PluginInput): Promise<PluginRecord>;
  get(name: string): Promise<PluginRecord | null>;
  /** All plugins by name. */
  list(): Promise<PluginRecord[]>;
  /** Records a load result; `loaded` stamps `loadedAt` and clears the last error. */
  setStatus(name: string, status: PluginStatus, error?: string | null): Promise<PluginRecord>;
  setEnabled(name: string, enabled: boolean): Promise<PluginRecord>;
  /** Forgets a plugin; true when it existed. */
  remove(name: string): Promise<boolean>;
  /** Records what one gateway instance saw (load, status change, reload, unload) in `plugins` and `plugin_instances`. */
  report(report: PluginReport): Promise<PluginRecord>;
  /** Every instance's view of every plugin (of one plugin with `name`), by name then instance. */
  instances(name?: string): Promise<PluginInstanceRecord[]>;
}

const MAX_ERROR_CHARS = 4000;
const SELECT =
  "SELECT name, source, version, enabled, status, last_error, loaded_at, load_count, error_count, instance_id, created_at, updated_at FROM plugins";
const SELECT_INSTANCES =
  "SELECT name, instance_id, state, status, last_error, loaded_at, load_count, error_count, updated_at FROM plugin_instances";

/** Creates the plugins repository. */
export function createPluginsRepository(db: WaygateDatabase, clock: Clock): PluginsRepository {
  async function mustGet(name: string): Promise<PluginRecord> {
    const result = await dbCall(db, `reading plugin ${name}`, () =>
      db.client.execute({ sql: `${SELECT} WHERE name = ?`, args: [name] }),
    );
    const row = result.rows[0];
    if (!row) throw new NotFoundError(`No plugin named ${JSON.stringify(name)} is registered.`);
    return toRecord(row);
  }

  async function update(name: string, sql: string, args: (string | number | null)[]): Promise<PluginRecord> {
    const result = await dbCall(db, `updating plugin ${name}`, () => db.client.execute({ sql, args }));
    if (result.rowsAffected === 0)
      throw new NotFoundError(`No plugin named ${JSON.stringify(name)} is registered.`);
    return mustGet(name);
  }

  return {
    async upsert(input) {
      const plugin = parseOrThrow(PluginInputSchema, input, "plugin");
      const now = clock();
      await dbCall(db, `registering plugin ${plugin.name}`, () =>
        db.client.execute({
          sql: `INSERT INTO plugins (name, source, version, enabled, status, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (name) DO UPDATE SET source = excluded.source, version = excluded.version,
              enabled = excluded.enabled, updated_at = excluded.updated_at,
              status = CASE WHEN excluded.enabled = 0 THEN 'disabled'
                            WHEN plugins.status = 'disabled' THEN 'registered' ELSE plugins.status END`,
          args: [
            plugin.name,
            plugin.source,
            plugin.version,
            plugin.enabled ? 1 : 0,
            plugin.enabled ? "registered" : "disabled",
            now,
            now,
          ],
        }),
      );
      return mustGet(plugin.name);
    },
    async get(name) {
      const result = await dbCall(db, `reading plugin ${name}`, () =>
        db.client.execute({ sql: `${SELECT} WHERE name = ?`, args: [name] }),
      );
      return result.rows[0] ? toRecord(result.rows[0]) : null;
    },
    async list() {
      const result = await dbCall(db, "listing plugins", () => db.client.execute(`${SELECT} ORDER BY name`));
      return result.rows.map(toRecord);
    },
    async setStatus(name, status, error = null) {
      const parsed = parseOrThrow(PluginStatusSchema, status, "plugin status");
      const now = clock();
      return update(
        name,
        `UPDATE plugins SET status = ?, last_error = ?, updated_at = ?,
          loaded_at = CASE WHEN ? = 'loaded' THEN ? ELSE loaded_at END WHERE name = ?`,
        [
          parsed,
          parsed === "loaded" ? null : (error?.slice(0, MAX_ERROR_CHARS) ?? null),
          now,
          parsed,
          now,
          name,
        ],
      );
    },
    async setEnabled(name, enabled) {
      return update(
        name,
        `UPDATE plugins SET enabled = ?, updated_at = ?,
          status = CASE WHEN ? = 0 THEN 'disabled' WHEN status = 'disabled' THEN 'registered' ELSE status END
          WHERE name = ?`,
        [enabled ? 1 : 0, clock(), enabled ? 1 : 0, name],
      );
    },
    async report(input) {
      const report = parseOrThrow(PluginReportSchema, input, "plugin report");
      const now = clock();
      const error = report.status === "loaded" ? null : (report.error?.slice(0, MAX_ERROR_CHARS) ?? null);
      const loads = report.countLoad ? 1 : 0;
      const errors = report.countError ? 1 : 0;
      const loadedAt = report.countLoad ? now : null;
      // An instance-only report still needs the shared row (the foreign key): it inserts it, never updates it.
      const sharedUpdate = report.instanceOnly
        ? "DO NOTHING"
        : `DO UPDATE SET source = excluded.source, version = excluded.version,
            enabled = excluded.enabled, status = excluded.status, last_error = excluded.last_error,
            loaded_at = coalesce(excluded.loaded_at, plugins.loaded_at),
            load_count = plugins.load_count + excluded.load_count,
            error_count = plugins.error_count + excluded.error_count,
            instance_id = excluded.instance_id, updated_at = excluded.updated_at`;
      const shared = {
        sql: `INSERT INTO plugins (name, source, version, enabled, status, last_error, loaded_at, load_count,
            error_count, instance_id, created_at, updated_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) ${sharedUpdate}`,
        args: [
          report.name,
          report.source,
          report.version,
          report.enabled ? 1 : 0,
          report.status,
          error,
          loadedAt,
          loads,
          errors,
          report.instanceId,
          now,
          now,
        ],
      };
      const instance = {
        sql: `INSERT INTO plugin_instances (name, instance_id, state, status, last_error, loaded_at, load_count,
            error_count, updated_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT (name, instance_id) DO UPDATE SET state = excluded.state, status = excluded.status,
            last_error = excluded.last_error, loaded_at = coalesce(excluded.loaded_at, plugin_instances.loaded_at),
            load_count = plugin_instances.load_count + excluded.load_count,
            error_count = plugin_instances.error_count + excluded.error_count,
            updated_at = excluded.updated_at`,
        args: [
          report.name,
          report.instanceId,
          report.state,
          report.status,
          error,
          loadedAt,
          loads,
          errors,
          now,
        ],
      };
      // One batch (one transaction, no lock held across turns): the shared row and this instance's row move together.
      await dbCall(db, `recording plugin ${report.name}`, () => db.client.batch([shared, instance], "write"));
      return mustGet(report.name);
    },
    async instances(name) {
      const result = await dbCall(db, "listing plugin instances", () =>
        name === undefined
          ? db.client.execute(`${SELECT_INSTANCES} ORDER BY name, instance_id`)
          : db.client.execute({
              sql: `${SELECT_INSTANCES} WHERE name = ? ORDER BY instance_id`,
              args: [name],
            }),
      );
      return result.rows.map(toInstanceRecord);
    },
    async remove(name) {
      const result = await dbCall(db, `removing plugin ${name}`, () =>
        db.client.execute({ sql: "DELETE FROM plugins WHERE name = ?", args: [name] }),
      );
      return result.rowsAffected > 0;
    },
  };
}

function toRecord(row: Row): PluginRecord {
  return {
    name: String(row.name),
    source: String(row.source),
    version: row.version === null ? null : String(row.version),
    enabled: Number(row.enabled) === 1,
    status: row.status as PluginStatus,
    lastError: row.last_error === null ? null : String(row.last_error),
    loadedAt: toDate(row.loaded_at),
    loadCount: Number(row.load_count ?? 0),
    errorCount: Number(row.error_count ?? 0),
    instanceId: row.instance_id === null || row.instance_id === undefined ? null : String(row.instance_id),
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
  };
}

function toInstanceRecord(row: Row): PluginInstanceRecord {
  return {
    name: String(row.name),
    instanceId: String(row.instance_id),
    state: String(row.state),
    status: row.status as PluginStatus,
    lastError: row.last_error === null ? null : String(row.last_error),
    loadedAt: toDate(row.loaded_at),
    loadCount: Number(row.load_count),
    errorCount: Number(row.error_count),
    updatedAt: new Date(Number(row.updated_at)),
  };
}
