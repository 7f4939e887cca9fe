import type { Command } from "commander";
import type { UpstreamServer } from "../../config/server-entry.js";
import {
  ServerEntrySchema,
  ServerNameSchema,
  timeoutsOf,
  toUpstreamServer,
} from "../../config/server-entry.js";
import { CliError } from "../../errors.js";
import { contextOf } from "../context.js";
import type { CliIo } from "../io.js";
import { collectPair } from "../parse.js";
import type { Column } from "../table.js";
import { withStore } from "../with-store.js";
import { importServersFromFile } from "./servers-import.js";
import { gatewayBaseUrl, liveStates, reloadOnGateway } from "./servers-remote.js";

type ServerRow = UpstreamServer & {
  source: "config" | "database";
  status: string | null;
  /** `live`: what the running gateway reports; `recorded`: the last state a gateway wrote, at `statusAt`. */
  statusSource?: "live" | "recorded";
  statusAt?: string;
  lastError?: string | null;
};

const serverColumns: Column<ServerRow>[] = [
  { header: "name", value: (row) => row.name },
  { header: "transport", value: (row) => row.transport },
  {
    header: "target",
    value: (row) => (row.transport === "stdio" ? [row.command, ...row.args].join(" ") : row.url),
  },
  { header: "enabled", value: (row) => (row.enabled ? "yes" : "no") },
  { header: "source", value: (row) => row.source },
  {
    header: "status",
    value: (row) =>
      row.status === null
        ? "-"
        : row.statusSource === "recorded" && row.statusAt
          ? `${row.status} (recorded ${row.statusAt})`
          : row.status,
  },
];

/** A server as `--json` prints it: env and header values are hidden, their names kept. */
export function redactServer<T extends UpstreamServer>(server: T): T {
  const hide = (values: Record<string, string>) =>
    Object.fromEntries(Object.keys(values).map((key) => [key, "***"]));
  return server.transport === "stdio"
    ? { ...server, env: hide(server.env) }
    : { ...server, headers: hide(server.headers) };
}

interface AddOptions {
  url?: string;
  transport?: "http" | "sse";
  env?: Record<string, string>;
  header?: Record<string, string>;
  cwd?: string;
  disabled?: boolean;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/** Parses a `--…-timeout-ms` value; anything but a whole number is a usage error naming the flag. */
function milliseconds(flag: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim())) {
      throw new CliError("usage", `${flag} takes a whole number of milliseconds, not "${value}"`);
    }
    return Number(value);
  };
}

/** Validates the arguments of `servers add` into an upstream, or throws a usage error naming the fix. */
function serverFromArguments(name: string, commandLine: string[], options: AddOptions): UpstreamServer {
  const nameCheck = ServerNameSchema.safeParse(name);
  if (!nameCheck.success)
    throw new CliError("usage", `invalid server name "${name}": ${nameCheck.error.issues[0]?.message}`);
  const [command, ...args] = commandLine;
  const timeouts = timeoutsOf(options);
  if ((command === undefined) === (options.url === undefined)) {
    throw new CliError(
      "usage",
      "give either a command after `--` (waygate servers add NAME -- npx -y some-server) or --url URL, not both",
    );
  }
  const entry =
    command !== undefined
      ? {
          command,
          args,
          env: options.env ?? {},
          ...(options.cwd ? { cwd: options.cwd } : {}),
          disabled: options.disabled,
          ...timeouts,
        }
      : {
          type: options.transport ?? "http",
          url: options.url,
          headers: options.header ?? {},
          disabled: options.disabled,
          ...timeouts,
        };
  const parsed = ServerEntrySchema.safeParse(entry);
  if (!parsed.success) {
    throw new CliError(
      "usage",
      `invalid server "${name}": ${[...new Set(parsed.error.issues.flatMap(issueMessages))].join("; ")}`,
    );
  }
  return toUpstreamServer(name, parsed.data);
}

/** The messages of an issue, those of a union's branches included (a bad timeout fails both branches alike). */
function issueMessages(issue: { message: string; errors?: { message: string }[][] }): string[] {
  return issue.errors?.length ? issue.errors.flat().map((inner) => inner.message) : [issue.message];
}

async function setEnabled(io: CliIo, command: Command, name: string, enabled: boolean): Promise<void> {
  const context = contextOf(command, io);
  const found = await withStore(context, (store) => store.setServerEnabled(name, enabled));
  if (!found)
    throw new CliError("not_found", `no stored server named "${name}": see \`waygate servers list\``);
  context.output.result(`${enabled ? "enabled" : "disabled"} server ${name}`, { name, enabled });
}

/** `waygate servers add|list|remove|enable|disable|import`. */
export function registerServersCommands(program: Command, io: CliIo): void {
  const servers = program
    .command("servers")
    .description("manage the upstream MCP servers stored in the database");

  servers
    .command("add")
    .description("store an upstream server: a command after `--` (stdio) or --url (remote)")
    .argument("<name>", "server name; its tools appear as <name>__<tool>")
    .argument("[command...]", "command line of a local stdio server, after `--`")
    .option("--url <url>", "URL of a remote server")
    .option("--transport <transport>", "transport of a remote server: http (default) or sse")
    .option(
      "-e, --env <KEY=VALUE>",
      "environment variable for a stdio server (repeatable; ${env:NAME} allowed)",
      collectPair,
    )
    .option(
      "-H, --header <KEY=VALUE>",
      "HTTP header for a remote server (repeatable; ${env:NAME} allowed)",
      collectPair,
    )
    .option("--cwd <dir>", "working directory of a stdio server")
    .option("--disabled", "store the server disabled")
    .option(
      "--connect-timeout-ms <ms>",
      "how long starting the server may take (100-600000; default 10000)",
      milliseconds("--connect-timeout-ms"),
    )
    .option(
      "--request-timeout-ms <ms>",
      "deadline of each request forwarded to the server (100-3600000; default 60000)",
      milliseconds("--request-timeout-ms"),
    )
    .action(async (name: string, commandLine: string[], options: AddOptions, command: Command) => {
      const context = contextOf(command, io);
      if (options.transport !== undefined && !["http", "sse"].includes(options.transport)) {
        throw new CliError("usage", `--transport must be http or sse, not "${options.transport}"`);
      }
      const server = serverFromArguments(name, commandLine, options);
      const config = await context.loadConfig();
      if (config.upstreams.some((upstream) => upstream.name === name)) {
        throw new CliError(
          "conflict",
          `server "${name}" is already declared in the config file ${config.configPath}`,
        );
      }
      await withStore(context, (store) => store.addServer(server));
      context.output.result(`added server ${name} (${server.transport})`, redactServer(server));
    });

  servers
    .command("list")
    .description(
      "list upstream servers from the config file and the database, with each one's state: live from the running gateway when it answers (WAYGATE_API_KEY with the admin scope), else the last recorded state and its time",
    )
    .option("--url <url>", "base URL of the running gateway (default: where this config makes it listen)")
    .action(async (options: { url?: string }, command: Command) => {
      const context = contextOf(command, io);
      const config = await context.loadConfig();
      const base = gatewayBaseUrl(config, options.url);
      const stored = await withStore(context, (store) => store.listServers());
      const live = await liveStates(context, base);
      const rows: ServerRow[] = [
        ...config.upstreams.map((server) => ({ ...server, source: "config" as const, status: null })),
        ...stored.map((server) => ({
          ...server,
          source: "database" as const,
          statusSource: "recorded" as const,
        })),
      ].map((row) => {
        if (!("states" in live)) return row;
        const state = live.states.get(row.name);
        // Not running there (disabled, not selected by MCP_SERVERS_ENABLED, shadowed): say so rather than guess.
        return {
          ...row,
          status: state?.state ?? "not running",
          statusSource: "live" as const,
          lastError: state?.lastError ?? null,
        };
      });
      if (rows.length > 0) {
        context.output.progress(
          "states" in live
            ? `status: live from the gateway at ${base.origin}`
            : `status: ${live.unavailable}; showing the last state a gateway recorded`,
        );
      }
      context.output.table(
        context.output.json ? rows.map(redactServer) : rows,
        serverColumns,
        "no servers yet: add one with `waygate servers add NAME -- COMMAND` or `waygate servers import FILE`",
      );
    });

  servers
    .command("remove")
    .description("remove a stored server")
    .argument("<name>")
    .action(async (name: string, _options: unknown, command: Command) => {
      const context = contextOf(command, io);
      const removed = await withStore(context, (store) => store.removeServer(name));
      if (!removed)
        throw new CliError("not_found", `no stored server named "${name}": see \`waygate servers list\``);
      context.output.result(`removed server ${name}`, { name, removed: true });
    });

  servers
    .command("enable")
    .description("enable a stored server")
    .argument("<name>")
    .action((name: string, _options: unknown, command: Command) => setEnabled(io, command, name, true));

  servers
    .command("disable")
    .description("disable a stored server (kept, but not started)")
    .argument("<name>")
    .action((name: string, _options: unknown, command: Command) => setEnabled(io, command, name, false));

  for (const verb of ["reload", "restart"] as const) {
    servers
      .command(verb)
      .description(
        `${verb === "reload" ? "restart" : "reload"} a server on a running gateway: stop it and start it again from its current definition (needs WAYGATE_API_KEY with the admin scope)`,
      )
      .argument("<name>")
      .option("--url <url>", "base URL of the running gateway (default: where this config makes it listen)")
      .action(async (name: string, options: { url?: string }, command: Command) => {
        const context = contextOf(command, io);
        const config = await context.loadConfig();
        const status = await reloadOnGateway(context, gatewayBaseUrl(config, options.url), name);
        const state = typeof status.state === "string" ? status.state : "unknown";
        const lastError = (status.lastError as { message?: string } | undefined)?.message;
        context.output.result(
          `${verb === "reload" ? "reloaded" : "restarted"} ${name}: ${state}${lastError && state !== "ready" ? ` (${lastError})` : ""}`,
          { name, ...status },
        );
      });
  }

  servers
    .command("import")
    .description("import the mcpServers of a Claude Desktop, Cursor or VS Code config file")
    .argument("<file>", "e.g. claude_desktop_config.json, .cursor/mcp.json or .vscode/mcp.json")
    .option("--replace", "replace stored servers that have the same names")
    .action(async (file: string, options: { replace?: boolean }, command: Command) => {
      const context = contextOf(command, io);
      const imported = await importServersFromFile(context, file, options.replace === true);
      context.output.result(
        `imported ${imported.length} server(s): ${imported.map((server) => server.name).join(", ")}`,
        imported.map(redactServer),
      );
    });
}
