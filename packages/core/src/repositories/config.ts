import type { z } from "zod";
import type { Clock } from "../clock.js";
import { type ConfigDefinitions, type ConfigValue, FILE_ONLY_SETTINGS } from "../config-definitions.js";
import type { WaygateDatabase } from "../database/create-database.js";
import { ConfigValidationError } from "../errors.js";
import { describeIssues, toValidationIssues } from "../validation.js";
import { dbCall } from "./db-call.js";
import { systemEventStatement } from "./system-events.js";

/** How a value is stored in the `config.type` column. */
export type ConfigValueType = "string" | "number" | "boolean" | "json";

/** One setting as listed: its effective value and whether it is still the default. */
export interface ConfigEntry {
  key: string;
  value: unknown;
  type: ConfigValueType;
  description: string;
  /** What the setting accepts, for people (`integer`, `one of strict, warn, off`…). */
  expected: string;
  /** True when a running gateway applies a change at once. */
  runtime: boolean;
  isDefault: boolean;
  updatedAt: Date | null;
}

/** Typed settings stored in the `config` table, each validated with its zod schema on write. */
export interface ConfigRepository<D extends ConfigDefinitions> {
  /** The stored value, else the default, else `undefined`. */
  get<K extends keyof D & string>(key: K): Promise<ConfigValue<D, K> | undefined>;
  /** Validates and stores a value; returns it as parsed by the schema. */
  set<K extends keyof D & string>(key: K, value: ConfigValue<D, K>): Promise<ConfigValue<D, K>>;
  /** `set` for untyped input (CLI, HTTP): checks the key is known and accepts JSON text for non-string settings. */
  setFromInput(key: string, value: unknown): Promise<unknown>;
  /** Removes a stored value so the default applies again; true when something was removed. */
  reset(key: keyof D & string): Promise<boolean>;
  /** Every known setting with its effective value. */
  list(): Promise<ConfigEntry[]>;
  /**
   * Changes a runtime setting from untyped input (or removes it with `value: undefined`) and records a
   * `config.changed` system event naming who changed it, in one transaction. Refuses unknown settings, settings
   * read only at start, and the file-only settings that widen what the gateway may reach.
   */
  change(key: string, value: unknown, actor: SettingActor): Promise<SettingChange>;
}

/** Who changed a setting: the API key id (null for the CLI on the host) and the way in. */
export interface SettingActor {
  by: string | null;
  via: "admin_api" | "cli";
}

/** The outcome of `config.change`. */
export interface SettingChange {
  key: string;
  /** The stored value now; `undefined` after an unset (the file, environment or default applies). */
  value: unknown;
  previous: unknown;
  /** False when an unset found nothing stored. */
  changed: boolean;
}

/** Creates the config repository over the given setting definitions. */
export function createConfigRepository<D extends ConfigDefinitions>(
  db: WaygateDatabase,
  definitions: D,
  clock: Clock,
): ConfigRepository<D> {
  function definitionOf(key: string) {
    const definition = Object.hasOwn(definitions, key) ? definitions[key] : undefined;
    if (!definition) {
      throw new ConfigValidationError(
        `Unknown setting ${JSON.stringify(key)}; known settings are: ${Object.keys(definitions).join(", ")}.`,
        [{ path: key, message: "unknown setting" }],
      );
    }
    return definition;
  }

  function validate(key: string, value: unknown, source: "write" | "stored"): unknown {
    const result = definitionOf(key).schema.safeParse(value);
    if (result.success) return result.data;
    const issues = toValidationIssues(result.error).map((issue) => ({
      path: issue.path === "(root)" ? key : `${key}.${issue.path}`,
      message: issue.message,
    }));
    const prefix =
      source === "write"
        ? `Invalid value for setting ${JSON.stringify(key)} (expected ${describeExpected(definitionOf(key).schema)})`
        : `The stored value of setting ${JSON.stringify(key)} is no longer valid; set it again`;
    throw new ConfigValidationError(`${prefix}: ${describeIssues(issues)}`, issues);
  }

  async function store(key: string, value: unknown): Promise<unknown> {
    const parsed = validate(key, value, "write");
    await dbCall(db, `saving setting ${key}`, () =>
      db.client.execute({
        sql: `INSERT INTO config (key, value, type, description, updated_at) VALUES (?, ?, ?, ?, ?)
          ON CONFLICT (key) DO UPDATE SET value = excluded.value, type = excluded.type,
            description = excluded.description, updated_at = excluded.updated_at`,
        args: [key, JSON.stringify(parsed), typeOf(parsed), definitionOf(key).description, clock()],
      }),
    );
    return parsed;
  }

  /** Refuses what may not be changed at run time, naming why and where to set it instead. */
  function assertRuntime(key: string): void {
    if (Object.hasOwn(FILE_ONLY_SETTINGS, key)) {
      throw new ConfigValidationError(
        `Setting ${JSON.stringify(key)} is file-only: it controls ${FILE_ONLY_SETTINGS[key]}, which widens what the gateway may reach or run, so it is set in the config file or the environment on the host and never stored in the database.`,
        [{ path: key, message: "file-only setting" }],
      );
    }
    if (definitionOf(key).runtime !== true) {
      throw new ConfigValidationError(
        `Setting ${JSON.stringify(key)} is read at start only; set it in the config file or the environment and restart. Runtime settings: ${Object.entries(
          definitions,
        )
          .filter(([, definition]) => definition.runtime === true)
          .map(([name]) => name)
          .join(", ")}.`,
        [{ path: key, message: "not a runtime setting" }],
      );
    }
  }

  async function storedValue(key: string): Promise<unknown> {
    const result = await dbCall(db, `reading setting ${key}`, () =>
      db.client.execute({ sql: "SELECT value FROM config WHERE key = ?", args: [key] }),
    );
    const row = result.rows[0];
    return row ? JSON.parse(String(row.value)) : undefined;
  }

  /** The input as the setting's schema parses it; JSON text is accepted for non-string settings. */
  function parseInput(key: string, value: unknown): unknown {
    const definition = definitionOf(key);
    if (typeof value === "string" && !definition.schema.safeParse(value).success) {
      try {
        return validate(key, JSON.parse(value), "write");
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error;
      }
    }
    return validate(key, value, "write");
  }

  return {
    async change(key, value, actor) {
      assertRuntime(key);
      const parsed = value === undefined ? undefined : parseInput(key, value);
      const previous = await storedValue(key);
      const now = clock();
      const write =
        parsed === undefined
          ? { sql: "DELETE FROM config WHERE key = ?", args: [key] }
          : {
              sql: `INSERT INTO config (key, value, type, description, updated_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value, type = excluded.type,
                  description = excluded.description, updated_at = excluded.updated_at`,
              args: [key, JSON.stringify(parsed), typeOf(parsed), definitionOf(key).description, now],
            };
      const event = systemEventStatement(
        {
          level: "info",
          type: "config.changed",
          message:
            parsed === undefined
              ? `Setting ${key} unset through the ${actor.via === "cli" ? "CLI" : "admin API"}`
              : `Setting ${key} set to ${JSON.stringify(parsed)} through the ${actor.via === "cli" ? "CLI" : "admin API"}`,
          details: { key, value: parsed ?? null, previous: previous ?? null, by: actor.by, via: actor.via },
        },
        now,
      );
      const results = await dbCall(db, `changing setting ${key}`, () =>
        db.client.batch([write, event], "write"),
      );
      return {
        key,
        value: parsed,
        previous,
        changed: parsed !== undefined || (results[0]?.rowsAffected ?? 0) > 0,
      };
    },
    async get(key) {
      const definition = definitionOf(key);
      const result = await dbCall(db, `reading setting ${key}`, () =>
        db.client.execute({ sql: "SELECT value FROM config WHERE key = ?", args: [key] }),
      );
      const row = result.rows[0];
      if (!row) return definition.default as ConfigValue<D, typeof key> | undefined;
      return validate(key, JSON.parse(String(row.value)), "stored") as ConfigValue<D, typeof key>;
    },
    async set(key, value) {
      return (await store(key, value)) as ConfigValue<D, typeof key>;
    },
    async setFromInput(key, value) {
      const definition = definitionOf(key);
      if (typeof value === "string" && !definition.schema.safeParse(value).success) {
        try {
          return await store(key, JSON.parse(value));
        } catch (error) {
          if (!(error instanceof SyntaxError)) throw error;
        }
      }
      return store(key, value);
    },
    async reset(key) {
      definitionOf(key);
      const result = await dbCall(db, `resetting setting ${key}`, () =>
        db.client.execute({ sql: "DELETE FROM config WHERE key = ?", args: [key] }),
      );
      return result.rowsAffected > 0;
    },
    async list() {
      const result = await dbCall(db, "listing settings", () =>
        db.client.execute("SELECT key, value, updated_at FROM config"),
      );
      const stored = new Map(result.rows.map((row) => [String(row.key), row]));
      return Object.entries(definitions).map(([key, definition]) => {
        const row = stored.get(key);
        const value = row ? validate(key, JSON.parse(String(row.value)), "stored") : definition.default;
        return {
          key,
          value,
          type: typeOf(value),
          description: definition.description,
          expected: describeExpected(definition.schema),
          runtime: definition.runtime === true,
          isDefault: !row,
          updatedAt: row ? new Date(Number(row.updated_at)) : null,
        };
      });
    },
  };
}

function typeOf(value: unknown): ConfigValueType {
  if (typeof value === "string") return "string";
  if (typeof value === "number") return "number";
  if (typeof value === "boolean") return "boolean";
  return "json";
}

/** A short description of what a zod schema accepts, for error messages and `config list`. */
export function describeExpected(schema: z.ZodType): string {
  const def = (schema as unknown as { _zod: { def: { type: string; entries?: Record<string, unknown> } } })
    ._zod.def;
  if (def.type === "enum" && def.entries) return `one of ${Object.values(def.entries).join(", ")}`;
  if (def.type === "number") {
    const number = schema as unknown as { minValue: number | null; maxValue: number | null; isInt: boolean };
    // `.positive()` shows as an (exclusive) minimum of 0.
    const kind = number.isInt ? (number.minValue === 0 ? "a positive integer" : "an integer") : "a number";
    const min = number.minValue !== null && Number.isFinite(number.minValue) && number.minValue !== 0;
    const max = number.maxValue !== null && Number.isFinite(number.maxValue) && number.maxValue < 2 ** 53 - 1;
    if (min && max) return `${kind} from ${number.minValue} to ${number.maxValue}`;
    if (max) return `${kind} up to ${number.maxValue}`;
    if (min) return `${kind} of at least ${number.minValue}`;
    return kind;
  }
  if (def.type === "array") return "a JSON array";
  if (def.type === "object" || def.type === "record") return "a JSON object";
  if (def.type === "string") return "a string";
  if (def.type === "boolean") return "true or false";
  return def.type;
}
