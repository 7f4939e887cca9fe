import { defaultConfigDefinitions } from "@waygate/core";
import type winston from "winston";
import type { GatewayOptions } from "./options.js";
import { startPolling } from "./polling.js";

/** The settings a running gateway applies live, and their value types. */
export interface RuntimeValues {
  "rateLimit.defaultPerMinute": number;
  "upstream.requestTimeoutMs": number;
  "log.level": GatewayOptions["logLevel"];
  "pinning.mode": GatewayOptions["pinning"]["mode"];
  "mcp.maxSessions": number;
  "mcp.maxSessionsPerKey": number;
  "metrics.retainDays": number;
  "metrics.downsampleAfterHours": number;
}
export type RuntimeKey = keyof RuntimeValues;

/** Where an effective value comes from: the database (a runtime change), or the gateway's options (file, env, default). */
export type RuntimeOrigin = "database" | "options";

/** A runtime setting whose file (options) value changed. */
export interface BaseChange {
  key: RuntimeKey;
  value: unknown;
  /** True when a value stored in the database (`waygate config set`) wins over the new one, so nothing changed. */
  overridden: boolean;
}

/** This replica's effective runtime settings, kept in step with the `config` table. */
export interface RuntimeSettings {
  get<K extends RuntimeKey>(key: K): RuntimeValues[K];
  /** True when the database overrides the options' value of `key`. */
  isStored(key: RuntimeKey): boolean;
  /** Every runtime setting with its effective value and origin. */
  entries(): { key: RuntimeKey; value: unknown; origin: RuntimeOrigin; base: unknown }[];
  /** Calls `listener` after a setting's effective value changes (here or through another replica). */
  onChange(listener: (key: RuntimeKey, value: unknown) => void): void;
  /** Reads the table when its marker moved and applies what changed; never throws. */
  syncNow(): Promise<void>;
  /**
   * Replaces the options' values (a changed config file) and tells the listeners of every effective value that
   * changed. Returns each setting whose options value changed, and whether the database overrides it.
   */
  setBase(base: RuntimeValues): BaseChange[];
  stop(): void;
}

/** The values the gateway's options give each runtime setting (the config file, environment or defaults). */
export function runtimeBase(options: GatewayOptions): RuntimeValues {
  return {
    "rateLimit.defaultPerMinute": Math.max(
      1,
      Math.round((options.rateLimit.limit * 60_000) / options.rateLimit.windowMs),
    ),
    "upstream.requestTimeoutMs": options.timeouts.toolCallMs,
    "log.level": options.logLevel,
    "pinning.mode": options.pinning.mode,
    "mcp.maxSessions": options.mcpMaxSessions,
    "mcp.maxSessionsPerKey": options.mcpMaxSessionsPerKey,
    "metrics.retainDays": options.metricsHistory.retainDays,
    "metrics.downsampleAfterHours": options.metricsHistory.downsampleAfterHours,
  };
}

// Count, newest change and total size move with every set and unset.
const MARKER_SQL =
  "SELECT count(*) || ':' || coalesce(max(updated_at), 0) || ':' || coalesce(sum(length(value)), 0) FROM config";

/**
 * Starts the runtime settings: the options' values, overridden by what the `config` table stores. The table's marker
 * is polled every `intervalMs` (the server sync's interval), so a change made through any replica's admin API or the
 * CLI applies on every replica within it. A stored value that no longer validates is logged and ignored.
 */
export function startRuntimeSettings(options: {
  base: RuntimeValues;
  execute: (sql: string) => Promise<{ rows: ArrayLike<ArrayLike<unknown>> }>;
  logger: winston.Logger;
  intervalMs: number;
}): RuntimeSettings {
  const stored = new Map<RuntimeKey, unknown>();
  const listeners: ((key: RuntimeKey, value: unknown) => void)[] = [];
  let base = options.base;
  const keys = Object.keys(base) as RuntimeKey[];
  let marker: string | undefined;
  let stopped = false;

  const effective = (key: RuntimeKey) => (stored.has(key) ? stored.get(key) : base[key]);
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

  async function apply(): Promise<void> {
    const result = await options.execute(MARKER_SQL);
    const current = String(result.rows[0]?.[0] ?? "");
    if (current === marker || stopped) return;
    const before = new Map(keys.map((key) => [key, effective(key)]));
    const rows = await options.execute("SELECT key, value FROM config");
    const values = new Map<string, unknown>();
    for (const row of Array.from(rows.rows)) values.set(String(row[0]), row[1]);
    for (const key of keys) {
      const raw = values.get(key);
      if (raw === undefined) {
        stored.delete(key);
        continue;
      }
      let parsed: { success: true; data: unknown } | { success: false; error: unknown };
      try {
        parsed = defaultConfigDefinitions[key].schema.safeParse(JSON.parse(String(raw)));
      } catch (error) {
        parsed = { success: false, error };
      }
      if (parsed.success) stored.set(key, parsed.data);
      else {
        stored.delete(key);
        options.logger.warn("stored runtime setting no longer valid; the file or default value applies", {
          key,
          fix: `waygate config set ${key} <value> or waygate config unset ${key}`,
        });
      }
    }
    marker = current;
    for (const key of keys) {
      const value = effective(key);
      if (same(value, before.get(key))) continue;
      options.logger.info("runtime setting applied", {
        key,
        value,
        origin: stored.has(key) ? "database" : "options",
      });
      for (const listener of listeners) listener(key, value);
    }
  }

  const polling = startPolling({
    run: apply,
    everyMs: options.intervalMs,
    logger: options.logger,
    failure: "runtime settings sync failed; retrying",
  });

  return {
    get: (key) => effective(key) as RuntimeValues[typeof key],
    isStored: (key) => stored.has(key),
    entries: () =>
      keys.map((key) => ({
        key,
        value: effective(key),
        origin: stored.has(key) ? "database" : "options",
        base: base[key],
      })),
    onChange: (listener) => {
      listeners.push(listener);
    },
    syncNow: polling.now,
    setBase(next) {
      const changes: BaseChange[] = [];
      const previous = base;
      base = next;
      for (const key of keys) {
        if (same(previous[key], next[key])) continue;
        const overridden = stored.has(key);
        changes.push({ key, value: next[key], overridden });
        if (overridden) continue;
        options.logger.info("runtime setting applied", { key, value: next[key], origin: "options" });
        for (const listener of listeners) listener(key, next[key]);
      }
      return changes;
    },
    stop() {
      stopped = true;
      polling.stop();
    },
  };
}
