import type { OAuthGrantInfo } from "@waygate/core";
import type { Command } from "commander";
import { CliError } from "../../errors.js";
import { contextOf } from "../context.js";
import type { CliIo } from "../io.js";
import type { Column } from "../table.js";
import { withStore } from "../with-store.js";

const columns: Column<OAuthGrantInfo>[] = [
  { header: "grant", value: (grant) => grant.grantId },
  { header: "key", value: (grant) => grant.accountId },
  { header: "client", value: (grant) => grant.clientId },
  { header: "scopes", value: (grant) => Object.values(grant.scopes).join(" ") },
  { header: "created", value: (grant) => grant.createdAt?.toISOString() ?? "" },
  { header: "expires", value: (grant) => grant.expiresAt?.toISOString() ?? "never" },
];

/** `waygate oauth grants list|revoke`: the built-in authorization server's grants, never their tokens. */
export function registerOAuthCommands(program: Command, io: CliIo): void {
  const grants = program
    .command("oauth")
    .description("the built-in OAuth authorization server (gateway.oauth.builtin)")
    .command("grants")
    .description("list and revoke grants: a person allowed a client to act as their API key");

  grants
    .command("list")
    .description("list live grants (never their tokens), newest first")
    .option("--key <id>", "only this API key's")
    .option("--client <id>", "only this client's")
    .action(async (options: { key?: string; client?: string }, command: Command) => {
      const context = contextOf(command, io);
      const list = await withStore(context, (store) =>
        store.oauthGrants.listGrants({
          ...(options.key ? { accountId: options.key } : {}),
          ...(options.client ? { clientId: options.client } : {}),
        }),
      );
      context.output.table(
        list,
        columns,
        "no grants: clients get one when someone signs in at the built-in authorization server",
      );
    });

  grants
    .command("revoke")
    .description("revoke a grant, or every grant of a key; their tokens stop within about a second")
    .argument("[grant]", "the grant's id (see `waygate oauth grants list`)")
    .option("--key <id>", "revoke every grant of this API key instead")
    .action(async (grant: string | undefined, options: { key?: string }, command: Command) => {
      const context = contextOf(command, io);
      if ((grant === undefined) === (options.key === undefined)) {
        throw new CliError("usage", "give a grant id, or --key <id> for every grant of a key (not both)");
      }
      const revoked = await withStore(context, async (store) =>
        grant === undefined
          ? store.oauthGrants.revokeGrantsOfAccount(options.key ?? "")
          : Number(await store.oauthGrants.revokeGrant(grant)),
      );
      if (grant !== undefined && revoked === 0) {
        throw new CliError("not_found", `no live grant "${grant}": see \`waygate oauth grants list\``);
      }
      context.output.result(
        `revoked ${revoked} grant${revoked === 1 ? "" : "s"}; their tokens stop within about a second`,
        { revoked, ...(grant ? { grant } : { key: options.key }) },
      );
    });
}
