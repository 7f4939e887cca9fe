import type { Command } from "commander";
import { contextOf } from "../context.js";
import type { CliIo } from "../io.js";
import { withStore } from "../with-store.js";

/** `waygate secrets rotate`: re-encrypts the upstream secrets stored in the database under the current key. */
export function registerSecretsCommands(program: Command, io: CliIo): void {
  const secrets = program
    .command("secrets")
    .description("upstream secrets (env and header values) stored encrypted in the database");
  secrets
    .command("rotate")
    .description(
      "re-encrypt every stored upstream secret under the current WAYGATE_SECRET_KEY; secrets stored under an earlier key need it in WAYGATE_PREVIOUS_SECRET_KEY (all or nothing)",
    )
    .action(async (_options: unknown, command: Command) => {
      const context = contextOf(command, io);
      const rotated = await withStore(context, (store) => store.rotateSecrets());
      context.output.result(
        rotated.servers === 0
          ? "every stored upstream secret is already encrypted under the current key"
          : `re-encrypted ${rotated.values} secret value(s) of ${rotated.servers} server(s) under the current key`,
        rotated,
      );
    });
}
