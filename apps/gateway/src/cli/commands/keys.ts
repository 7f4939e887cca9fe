import { applyKeyPolicy, type KeyPolicy } from "@waygate/core/key-policy";
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

/** The key to create: the flags after the key policy the admin API applies too; a usage error naming the flag otherwise. */
async function resolveKey(options: CreateOptions, policy: KeyPolicy) {
  const { SCOPES } = await import("@waygate/server");
  const now = new Date();
  const applied = applyKeyPolicy(
    policy,
    {
      scopes: options.scopes,
      toolPatterns: options.tools,
      rateLimitPerMinute: options.rateLimit,
      expiresAt:
        options.expiresIn === undefined ? null : new Date(now.getTime() + options.expiresIn * DAY_MS),
    },
    { knownScopes: SCOPES, now },
  );
  if (applied.ok) return applied.key;
  throw new CliError(
    "usage",
    applied.issues
      .map((issue) =>
        issue.field === "expiresAt" && issue.maxExpiresInDays !== undefined
          ? `${issue.message}: pass --expires-in ${issue.maxExpiresInDays} or less`
          : issue.message,
      )
      .join("; "),
  );
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
      const key = await resolveKey(options, config.keyPolicy);
      const created = await withStore(context, (store) => store.createKey({ name: options.name, ...key }));
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
    .description("revoke an API key; running gateways refuse it within 1 s (their verify cache)")
    .argument("<id>", "id of the key (see `waygate keys list`)")
    .action(async (id: string, _options: unknown, command: Command) => {
      const context = contextOf(command, io);
      const revoked = await withStore(context, (store) => store.revokeKey(id));
      if (!revoked) throw new CliError("not_found", `no API key with id "${id}": see \`waygate keys list\``);
      context.output.result(
        `revoked key ${revoked.id} (${revoked.name}); running gateways refuse it within 1 s`,
        { ...revoked, status: "revoked" },
      );
    });
}
