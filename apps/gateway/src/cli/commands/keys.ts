import type { Command } from "commander";
import { CliError } from "../../errors.js";
import type { KeySummary } from "../../store/types.js";
import { contextOf } from "../context.js";
import type { CliIo } from "../io.js";
import { parseList, parsePositiveInt } from "../parse.js";
import type { Column } from "../table.js";
import { withStore } from "../with-store.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/** The status of a key at `now`: active, revoked or expired. */
export function keyStatus(key: KeySummary, now = Date.now()): "active" | "revoked" | "expired" {
  if (key.revokedAt) return "revoked";
  if (key.expiresAt && Date.parse(key.expiresAt) <= now) return "expired";
  return "active";
}

const keyColumns: Column<KeySummary>[] = [
  { header: "id", value: (key) => key.id },
  { header: "name", value: (key) => key.name },
  { header: "prefix", value: (key) => key.prefix },
  { header: "scopes", value: (key) => key.scopes.join(",") },
  { header: "tools", value: (key) => key.toolPatterns?.join(",") ?? "*" },
  { header: "expires", value: (key) => key.expiresAt ?? "never" },
  { header: "last used", value: (key) => key.lastUsedAt ?? "never" },
  { header: "status", value: (key) => keyStatus(key) },
];

interface CreateOptions {
  name: string;
  scopes?: string[];
  tools?: string[];
  rateLimit?: number;
  expiresIn?: number;
}

/** Rejects scopes the gateway does not check, so that a typo does not make a useless key. */
async function checkScopes(scopes: readonly string[]): Promise<void> {
  const { SCOPES } = await import("@waygate/server");
  const unknown = scopes.filter((scope) => !(SCOPES as readonly string[]).includes(scope));
  if (unknown.length > 0) {
    throw new CliError(
      "usage",
      `unknown scope(s) ${unknown.map((scope) => `"${scope}"`).join(", ")}: use ${SCOPES.join(", ")}`,
    );
  }
}

/** `waygate keys create|list|revoke`. */
export function registerKeysCommands(program: Command, io: CliIo): void {
  const keys = program.command("keys").description("create, list and revoke API keys");

  keys
    .command("create")
    .description("create an API key and print it once")
    .requiredOption("-n, --name <name>", "who or what the key is for")
    .option(
      "-s, --scopes <list>",
      "comma-separated scopes (tools:list,tools:call,admin,metrics:read)",
      parseList,
    )
    .option(
      "-t, --tools <patterns>",
      "comma-separated tool patterns the key may call, e.g. github__*",
      parseList,
    )
    .option("--rate-limit <n>", "requests per minute for this key", parsePositiveInt)
    .option("--expires-in <days>", "days until the key expires", parsePositiveInt)
    .action(async (options: CreateOptions, command: Command) => {
      const context = contextOf(command, io);
      const config = await context.loadConfig();
      const policy = config.keyPolicy;
      await checkScopes(options.scopes ?? policy.defaultScopes);
      if (
        policy.maxExpiresInDays !== undefined &&
        (options.expiresIn ?? Infinity) > policy.maxExpiresInDays
      ) {
        throw new CliError(
          "usage",
          `the key policy allows keys for at most ${policy.maxExpiresInDays} days: pass --expires-in ${policy.maxExpiresInDays} or less`,
        );
      }
      const created = await withStore(context, (store) =>
        store.createKey({
          name: options.name,
          scopes: options.scopes ?? policy.defaultScopes,
          toolPatterns: options.tools ?? policy.defaultToolPatterns,
          rateLimitPerMinute: options.rateLimit ?? policy.defaultRateLimitPerMinute ?? null,
          expiresAt:
            options.expiresIn === undefined ? null : new Date(Date.now() + options.expiresIn * DAY_MS),
        }),
      );
      context.output.result(
        [
          `created key ${created.key.id} (${created.key.name})`,
          "",
          `  ${created.plaintext}`,
          "",
          "This is the only time the key is shown: store it now (it is kept only as a hash).",
        ].join("\n"),
        { ...created.key, key: created.plaintext },
      );
    });

  keys
    .command("list")
    .description("list API keys (never their values)")
    .action(async (_options: unknown, command: Command) => {
      const context = contextOf(command, io);
      const list = await withStore(context, (store) => store.listKeys());
      context.output.table(
        list.map((key) => ({ ...key, status: keyStatus(key) })),
        keyColumns,
        "no API keys yet: create one with `waygate keys create --name <name>`",
      );
    });

  keys
    .command("revoke")
    .description("revoke an API key; it stops working at once")
    .argument("<id>", "id of the key (see `waygate keys list`)")
    .action(async (id: string, _options: unknown, command: Command) => {
      const context = contextOf(command, io);
      const revoked = await withStore(context, (store) => store.revokeKey(id));
      if (!revoked) throw new CliError("not_found", `no API key with id "${id}": see \`waygate keys list\``);
      context.output.result(`revoked key ${revoked.id} (${revoked.name})`, { ...revoked, status: "revoked" });
    });
}
