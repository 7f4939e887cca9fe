import type { ConfigEntry } from "@waygate/core";
import type { Command } from "commander";
import type { GatewayConfig } from "../../config/load.js";
import { CliError } from "../../errors.js";
import { baseSettings } from "../../runtime/setting-origins.js";
import { contextOf } from "../context.js";
import type { CliIo } from "../io.js";
import { withStore } from "../with-store.js";

/** One setting as `config list` shows it: the effective value a gateway applies, and where it comes from. */
interface SettingRow {
  key: string;
  value: unknown;
  origin: "database" | "environment" | "file" | "default";
  runtime: boolean;
  expected: string;
  description: string;
}

function rowsOf(entries: ConfigEntry[], config: GatewayConfig, env: CliIo["env"]): SettingRow[] {
  const base = baseSettings(config, env);
  return entries.map((entry) => {
    const fromConfig = base.get(entry.key);
    const [value, origin] = !entry.isDefault
      ? [entry.value, "database" as const]
      : fromConfig
        ? [fromConfig.value, fromConfig.origin]
        : [entry.value, "default" as const];
    return {
      key: entry.key,
      value,
      origin,
      runtime: entry.runtime,
      expected: entry.expected,
      description: entry.description,
    };
  });
}

const show = (value: unknown) => (value === undefined ? "-" : JSON.stringify(value));

/** Applied within the gateways' sync interval (`timeouts.serverSyncMs`, 1 s by default). */
const APPLIED = "running gateways apply it within their sync interval (1 s by default)";

/**
 * `waygate config list|get|set|unset`: runtime settings stored in the database. Registered on the `config` command
 * that `program.ts` creates, so other `config` subcommands live in their own files.
 */
export function registerConfigSettingsCommands(config: Command, io: CliIo): void {
  config
    .command("list")
    .description("list every setting with its effective value (--origin: where each value comes from)")
    .option("--origin", "show where each value comes from: database, environment, file or default")
    .action(async (options: { origin?: boolean }, command: Command) => {
      const context = contextOf(command, io);
      const loaded = await context.loadConfig();
      const rows = await withStore(context, async (store) =>
        rowsOf(await store.settings.list(), loaded, io.env),
      );
      context.output.table(
        rows,
        [
          { header: "setting", value: (row) => row.key },
          { header: "value", value: (row) => show(row.value) },
          ...(options.origin ? [{ header: "origin", value: (row: SettingRow) => row.origin }] : []),
          { header: "runtime", value: (row) => (row.runtime ? "yes" : "no (file/env)") },
          { header: "expects", value: (row) => row.expected },
        ],
        "no settings are defined",
      );
    });

  config
    .command("get <key>")
    .description("show one setting's effective value, where it comes from and what it accepts")
    .action(async (key: string, _options: unknown, command: Command) => {
      const context = contextOf(command, io);
      const loaded = await context.loadConfig();
      const rows = await withStore(context, async (store) =>
        rowsOf(await store.settings.list(), loaded, io.env),
      );
      const row = rows.find((entry) => entry.key === key);
      if (!row) {
        const { FILE_ONLY_SETTINGS } = await import("@waygate/core");
        throw new CliError(
          "not_found",
          Object.hasOwn(FILE_ONLY_SETTINGS, key)
            ? `setting "${key}" is file-only (${FILE_ONLY_SETTINGS[key]}): set it in the config file or the environment`
            : `unknown setting "${key}"; known settings are: ${rows.map((entry) => entry.key).join(", ")}`,
        );
      }
      context.output.result(
        `${row.key} = ${show(row.value)} (from ${row.origin}; expects ${row.expected})\n${row.description}`,
        row,
      );
    });

  config
    .command("set <key> <value>")
    .description(
      "store a runtime setting (JSON for numbers, booleans and lists); running gateways apply it live",
    )
    .action(async (key: string, value: string, _options: unknown, command: Command) => {
      const context = contextOf(command, io);
      const change = await withStore(context, (store) =>
        store.settings.change(key, value, { by: null, via: "cli" }),
      );
      context.output.result(
        `${key} set to ${show(change.value)} (was ${change.previous === undefined ? "not stored" : show(change.previous)}); ${APPLIED}`,
        { key, value: change.value, previous: change.previous ?? null },
      );
    });

  config
    .command("unset <key>")
    .description("remove a stored runtime setting, so the environment, config file or default applies again")
    .action(async (key: string, _options: unknown, command: Command) => {
      const context = contextOf(command, io);
      const change = await withStore(context, (store) =>
        store.settings.change(key, undefined, { by: null, via: "cli" }),
      );
      context.output.result(
        change.changed
          ? `${key} unset (was ${show(change.previous)}); the environment, config file or default applies; ${APPLIED}`
          : `${key} was not stored; nothing changed`,
        { key, removed: change.changed, previous: change.previous ?? null },
      );
    });
}
