import type { Clock } from "../clock.js";
import type { ConfigDefinitions, ConfigValue } from "../config-definitions.js";
import type { WaygateDatabase } from "../database/create-database.js";
import { ConfigValidationError } from "../errors.js";
import { describeIssues, toValidationIssues } from "../validation.js";
import { dbCall } from "./db-call.js";

/** How a value is stored in the `config.type` column. */
export type ConfigValueType = "string" | "number" | "boolean" | "json";

/** One setting as listed: its effective value and whether it is still the default. */
export interface ConfigEntry {
  key: string;
  value: unknown;
  type: ConfigValueType;
  description: string;
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
        ? `Invalid value for setting ${JSON.stringify(key)}`
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

  return {
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
