import type { UpstreamUserTokenInfo } from "@waygate/core";
import type { Command } from "commander";
import { CliError } from "../../errors.js";
import { contextOf } from "../context.js";
import type { CliIo } from "../io.js";
import type { Column } from "../table.js";
import { withStore } from "../with-store.js";

interface TokenRow {
  server: string;
  principal: string;
  expiresAt: string | null;
  updatedAt: string;
}

const columns: Column<TokenRow>[] = [
  { header: "server", value: (row) => row.server },
  { header: "principal", value: (row) => row.principal },
  { header: "expires", value: (row) => row.expiresAt ?? "unknown" },
  { header: "updated", value: (row) => row.updatedAt },
];

const rowOf = (info: UpstreamUserTokenInfo): TokenRow => ({
  server: info.server,
  principal: info.principal,
  expiresAt: info.expiresAt?.toISOString() ?? null,
  updatedAt: info.updatedAt.toISOString(),
});

/** `waygate upstream-tokens list|revoke`: the per-user upstream OAuth tokens, never their values. */
export function registerUpstreamTokensCommands(program: Command, io: CliIo): void {
  const tokens = program
    .command("upstream-tokens")
    .description(
      "list and revoke per-user OAuth tokens of remote upstreams (upstreamOAuth.<name>.authorizationCode)",
    );

  tokens
    .command("list")
    .description(
      "list stored tokens by server and principal (API key id or oauth:<subject>), never their values",
    )
    .option("--server <name>", "only this server's")
    .option("--principal <id>", "only this principal's")
    .action(async (options: { server?: string; principal?: string }, command: Command) => {
      const context = contextOf(command, io);
      const list = await withStore(context, (store) => store.upstreamTokens.list(options));
      context.output.table(
        list.map(rowOf),
        columns,
        "no per-user upstream tokens stored: principals get one when they sign in through a tool's link",
      );
    });

  tokens
    .command("revoke")
    .description(
      "delete a principal's token at a server (or at every server with --all); its next call asks it to sign in",
    )
    .argument("<principal>", "API key id or oauth:<subject> (see `waygate upstream-tokens list`)")
    .option("--server <name>", "the server whose token to revoke")
    .option("--all", "revoke the principal's tokens at every server")
    .action(async (principal: string, options: { server?: string; all?: boolean }, command: Command) => {
      const context = contextOf(command, io);
      if ((options.server === undefined) === (options.all !== true)) {
        throw new CliError("usage", "give either --server <name> or --all");
      }
      const count = await withStore(context, async (store) =>
        options.server === undefined
          ? store.upstreamTokens.revokePrincipal(principal)
          : Number(await store.upstreamTokens.revoke(options.server, principal)),
      );
      if (count === 0) {
        throw new CliError(
          "not_found",
          `no stored token of "${principal}"${options.server ? ` at "${options.server}"` : ""}: see \`waygate upstream-tokens list\``,
        );
      }
      context.output.result(
        `revoked ${count} token${count === 1 ? "" : "s"} of ${principal}; its next call asks it to sign in again`,
        { principal, revoked: count, ...(options.server ? { server: options.server } : {}) },
      );
    });
}
